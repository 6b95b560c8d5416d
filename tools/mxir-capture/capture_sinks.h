// CaptureSink: where the SMTP sessions' output goes in `mxir capture` — JSON Lines events or
// Zeek smtp.log rows to stdout (through one large buffer: the fast path), the per-host summary
// table, and/or the case database (batched inserts). Output concerns of the tool only.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "casedb/event_store.h"
#include "core/counters.h"
#include "input_hashes.h"
#include "session_summary.h"
#include "smtp/smtp_session.h"

namespace mxir::tools {

enum class CaptureFormat { kNone, kJsonl, kZeek, kTable };

class CaptureSink final : public smtp::SmtpSink {
 public:
  // `store` may be null (no case). Zeek output starts with its header at `open_time`. With
  // `hashes` (files being hashed on a second thread), JSON Lines carry origin.sha256 once it is
  // known; nothing waits for it (the case keeps each file's hash in its `sources` record).
  CaptureSink(std::FILE* out, CaptureFormat format, casedb::EventWriter* store, Timestamp open_time,
              InputHashes* hashes = nullptr);
  ~CaptureSink() override;

  void OnEvent(Event&& event) override;
  void OnZeekRecord(smtp::ZeekSmtpRecord&& record) override;

  // Writes what is buffered (the summary table, Zeek's #close line at `close_time`) and reports
  // the first error of the case store or of stdout.
  Status Finish(Timestamp close_time);
  // Flushes buffered output (live capture, now and then); not what waits for a hash.
  void Flush();

  int64_t events() const { return events_; }
  // Per input file: its events' first and last time and count (for the case's `sources`).
  struct InputSpan {
    std::string file;
    std::optional<Timestamp> first, last;
    int64_t events = 0;
  };
  const std::vector<InputSpan>& spans() const { return spans_; }
  int64_t zeek_rows() const { return zeek_rows_; }

 private:
  static constexpr size_t kFlushAt = 1 << 20;

  void Emit(Event&& event);

  std::FILE* out_;
  CaptureFormat format_;
  casedb::EventWriter* store_;
  InputHashes* hashes_;  // null: no hash (live capture, or no output that shows one)
  Timestamp open_time_;
  std::string buf_;
  SessionSummary summary_;
  Status first_error_;
  int64_t events_ = 0, zeek_rows_ = 0;
  std::vector<InputSpan> spans_;
  size_t last_span_ = 0;
  bool header_written_ = false, finished_ = false;
};

}  // namespace mxir::tools
