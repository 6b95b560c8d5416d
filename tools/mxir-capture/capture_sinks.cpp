// CaptureSink: buffered JSON Lines / Zeek TSV, the summary, the case.
#include "capture_sinks.h"

#include <sstream>

#include "core/event_json.h"
#include "smtp/zeek_log_writer.h"

namespace mxir::tools {

CaptureSink::CaptureSink(std::FILE* out, CaptureFormat format, casedb::EventWriter* store,
                         Timestamp open_time, InputHashes* hashes)
    : out_(out), format_(format), store_(store), hashes_(hashes), open_time_(open_time) {
  buf_.reserve(kFlushAt + 64 * 1024);
}

CaptureSink::~CaptureSink() { Flush(); }

void CaptureSink::Flush() {
  if (buf_.empty()) return;
  if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size() && first_error_.ok()) {
    first_error_ =
        MakeError(ErrorCode::kIo, "writing the output failed (disk full or pipe closed?)");
  }
  buf_.clear();
  std::fflush(out_);
}

void CaptureSink::OnEvent(Event&& event) {
  ++events_;
  if (last_span_ >= spans_.size() || spans_[last_span_].file != event.origin.file.str()) {
    last_span_ = 0;
    while (last_span_ < spans_.size() && spans_[last_span_].file != event.origin.file.str()) {
      ++last_span_;
    }
    if (last_span_ == spans_.size()) spans_.push_back({event.origin.file.str(), {}, {}, 0});
  }
  InputSpan& span = spans_[last_span_];
  ++span.events;
  if (!span.first || event.ts < *span.first) span.first = event.ts;
  if (!span.last || *span.last < event.ts) span.last = event.ts;
  Emit(std::move(event));
}

void CaptureSink::Emit(Event&& event) {
  // origin.sha256 only when already known: events never wait for the hash (the case keeps it
  // in its `sources` record; the identity does not need it).
  if (hashes_ != nullptr && hashes_->ready()) event.origin.sha256 = hashes_->Of(event.origin.file);
  if (format_ == CaptureFormat::kJsonl) {
    AppendEventJson(buf_, event);
    buf_.push_back('\n');
    if (buf_.size() >= kFlushAt) Flush();
  } else if (format_ == CaptureFormat::kTable) {
    summary_.Add(event);
  }
  if (store_ != nullptr) {
    Status s = store_->Add(event);
    if (!s.ok() && first_error_.ok()) first_error_ = s;
  }
}

void CaptureSink::OnZeekRecord(smtp::ZeekSmtpRecord&& record) {
  if (format_ != CaptureFormat::kZeek) return;
  ++zeek_rows_;
  if (!header_written_) {
    smtp::ZeekLogWriter::AppendHeader(buf_, open_time_);
    header_written_ = true;
  }
  smtp::ZeekLogWriter::AppendRow(buf_, record);
  if (buf_.size() >= kFlushAt) Flush();
}

Status CaptureSink::Finish(Timestamp close_time) {
  if (finished_) return first_error_;
  finished_ = true;
  if (format_ == CaptureFormat::kZeek) {
    if (!header_written_) smtp::ZeekLogWriter::AppendHeader(buf_, open_time_);
    header_written_ = true;
    smtp::ZeekLogWriter::AppendClose(buf_, close_time);
  } else if (format_ == CaptureFormat::kTable) {
    std::ostringstream table;
    summary_.Print(table, OutputFormat::kTable);
    if (summary_.rows() == 0) table << "(no SMTP sessions found)\n";
    buf_ += table.str();
  }
  Flush();
  if (store_ != nullptr) {
    Status s = store_->Finish();
    if (!s.ok() && first_error_.ok()) first_error_ = s;
  }
  return first_error_;
}

}  // namespace mxir::tools
