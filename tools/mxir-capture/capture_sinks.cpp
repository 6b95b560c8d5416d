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
  if (buf_.empty() || HoldingJson()) return;  // held JSON Lines still lack their hash
  if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size() && first_error_.ok()) {
    first_error_ =
        MakeError(ErrorCode::kIo, "writing the output failed (disk full or pipe closed?)");
  }
  buf_.clear();
  std::fflush(out_);
}

void CaptureSink::OnEvent(Event&& event) {
  ++events_;
  if (Holding()) {
    if (hashes_->ready()) {
      ReleaseHeld();
    } else if (store_ != nullptr) {
      held_.push_back(std::move(event));
      if (held_.size() >= kMaxHeldEvents) ReleaseHeld();
      return;
    } else if (format_ == CaptureFormat::kJsonl) {
      HoldJson(std::move(event));
      return;
    }  // else nothing this event goes to shows the hash
  }
  Emit(std::move(event));
}

namespace {

// Stands for origin.sha256 in held JSON Lines; as long as a SHA-256 in hex.
const std::string kShaPlaceholder(64, '0');
constexpr std::string_view kShaKey = "\"sha256\":\"";

}  // namespace

void CaptureSink::HoldJson(Event&& event) {
  size_t file = 0;
  while (file < held_files_.size() && held_files_[file] != event.origin.file) ++file;
  if (file == held_files_.size()) held_files_.push_back(event.origin.file);
  event.origin.sha256 = kShaPlaceholder;
  const size_t start = buf_.size();
  AppendEventJson(buf_, event);
  buf_.push_back('\n');
  // The first "sha256":" of the line is origin's: only ts and source come before it, and a
  // quote inside the file name is escaped.
  const size_t key = buf_.find(kShaKey, start);
  if (key != std::string::npos) buf_shas_.push_back({key + kShaKey.size(), file});
  if (buf_.size() < kFlushAt) return;
  held_bytes_ += buf_.size();
  held_text_.push_back({std::move(buf_), std::move(buf_shas_)});
  buf_ = std::string();
  buf_.reserve(kFlushAt + 64 * 1024);
  buf_shas_.clear();
  if (held_bytes_ >= kMaxHeldJsonBytes) ReleaseHeld();  // waits for the hash
}

void CaptureSink::ReleaseHeld() {
  if (!Holding()) return;
  released_ = true;
  if (Status s = hashes_->Wait(); !s.ok() && first_error_.ok()) first_error_ = s;
  std::vector<Event> held;
  held.swap(held_);
  for (Event& e : held) Emit(std::move(e));
  ReleaseHeldJson();
}

void CaptureSink::ReleaseHeldJson() {
  held_text_.push_back({std::move(buf_), std::move(buf_shas_)});
  buf_ = std::string();
  buf_shas_.clear();
  for (size_t i = 0; i < held_text_.size(); ++i) {
    HeldText& h = held_text_[i];
    std::string& text = h.text;
    bool all_known = true;
    for (const HeldSha& at : h.shas) {
      const std::string& sha = hashes_->Of(held_files_[at.file]);
      if (sha.size() == kShaPlaceholder.size()) {
        text.replace(at.offset, sha.size(), sha);
      } else {
        all_known = false;
      }
    }
    if (!all_known) {
      // The hash is unknown (the file could not be read twice): drop the field as Emit would.
      std::string kept;
      size_t from = 0;
      for (const HeldSha& at : h.shas) {
        if (hashes_->Of(held_files_[at.file]).size() == kShaPlaceholder.size()) continue;
        size_t key = at.offset - kShaKey.size();
        size_t end = at.offset + kShaPlaceholder.size() + 1;  // after the closing quote
        if (text[key - 1] == ',') {
          --key;  // ,"sha256":"..."
        } else if (text[end] == ',') {
          ++end;  // {"sha256":"...",
        }
        kept.append(text, from, key - from);
        from = end;
      }
      kept.append(text, from);
      text.swap(kept);
    }
    if (i + 1 == held_text_.size()) {
      buf_ = std::move(text);  // the last part stays buffered like any output
    } else {
      buf_.swap(text);
      Flush();
      buf_.swap(text);
    }
  }
  held_text_.clear();
  held_text_.shrink_to_fit();
  held_bytes_ = 0;
  if (buf_.capacity() < kFlushAt) buf_.reserve(kFlushAt + 64 * 1024);
  if (buf_.size() >= kFlushAt) Flush();
}

void CaptureSink::Emit(Event&& event) {
  if (hashes_ != nullptr) event.origin.sha256 = hashes_->Of(event.origin.file);
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
  ReleaseHeld();
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
