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
  // `hashes` (files being hashed), events are held until their origin.sha256 is known; pass
  // null when no output shows the hash (Zeek or table without a case).
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
  int64_t zeek_rows() const { return zeek_rows_; }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  // Events wait for their file's hash while it is computed. With a case they wait as Events (up
  // to kMaxHeldEvents, ~40 MB; then the capture waits for the hash). Without one, only JSON Lines
  // need the hash: they are written at once with a placeholder where origin.sha256 goes (up to
  // kMaxHeldJsonBytes of text, then the capture waits), and patched when the hash is known.
  static constexpr size_t kMaxHeldEvents = 20000;
  static constexpr size_t kMaxHeldJsonBytes = size_t{128} << 20;

  // A JSON Lines text waiting for the hash; `shas` are where its placeholders are.
  struct HeldSha {
    size_t offset;  // of the first character of the 64-digit placeholder in `text`
    size_t file;    // index into held_files_
  };
  struct HeldText {
    std::string text;
    std::vector<HeldSha> shas;
  };

  bool Holding() const { return hashes_ != nullptr && !released_; }
  bool HoldingJson() const {
    return Holding() && store_ == nullptr && format_ == CaptureFormat::kJsonl;
  }
  void HoldJson(Event&& event);
  void ReleaseHeld();
  void ReleaseHeldJson();
  void Emit(Event&& event);

  std::FILE* out_;
  CaptureFormat format_;
  casedb::EventWriter* store_;
  InputHashes* hashes_;  // null: nothing waits (live capture, or no output that shows a hash)
  bool released_ = false;
  std::vector<Event> held_;          // with a case: events waiting for their file's hash
  std::vector<HeldText> held_text_;  // without one: JSON Lines waiting (buf_ is the last part)
  std::vector<HeldSha> buf_shas_;    // placeholders in buf_
  std::vector<std::string> held_files_;
  size_t held_bytes_ = 0;
  Timestamp open_time_;
  std::string buf_;
  SessionSummary summary_;
  Status first_error_;
  int64_t events_ = 0, zeek_rows_ = 0;
  bool header_written_ = false, finished_ = false;
};

}  // namespace mxir::tools
