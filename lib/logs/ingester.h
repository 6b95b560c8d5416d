// Ingester: log files in, Events out — the library body of `mxir ingest`.
//
// For each input it opens a LineSource (plain, .gz, or "-"), computes the SHA-256 of the bytes
// read off the hot path (a file on a second thread; stdin as it is read) for the input's summary
// — events never wait for it —, splits each line (LogRecord), hands it
// to the format's parser — with --log-format auto, the parser is chosen per line by the syslog
// tag and otherwise by content, preferring the format that matched the previous line of the same
// file — and passes the events to the sink with `origin` (file, line, index, and the line's
// content identity: record hash and repeat count, see core/event.h) filled in.
// Events outside --since/--until are dropped and counted. Lines not understood are counted per
// format (`not_understood.<format>`), lines of no known format as `unknown_format`: neither is
// fatal. Lines exported by `journalctl -o json` are read too (journal_line.h). Damaged input (a
// truncated .gz, a read error) ends that file with an error after its readable lines were ingested.
// Hosted-mail exports that are whole documents (JSON, CSV with a header row, UTF-16 text: Entra
// ID, Microsoft 365, Google Workspace) are recognised by their first 64 KiB under auto (or named)
// and read whole by their DocumentParser; their events' `line` is the record's number.
// Not thread-safe; one Ingester per run.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/counters.h"
#include "core/secret_fingerprint.h"
#include "core/status.h"
#include "core/time_zone.h"
#include "logs/log_parser.h"
#include "logs/log_time.h"

namespace mxir::logs {

class DocumentParser;  // hosted_common.h

// What one input gave: a `sources` record for the case (casedb/source_store.h).
struct InputSummary {
  std::string path;
  int64_t size = -1;                     // bytes read
  std::string sha256;                    // of those bytes; empty when unknown
  std::optional<Timestamp> first, last;  // of the events made
  int64_t records = 0, events = 0;       // lines read, events passed on
};

struct IngestOptions {
  std::string format = "auto";  // "auto" or a LogFormatNames() entry
  std::optional<int> year;      // fixed year for year-less stamps
  std::string tz = "local";     // zone of stamps without an offset
  std::optional<Timestamp> since, until;
  size_t max_line = 64 * 1024;
  const SecretFingerprinter* fingerprinter = nullptr;  // for plain passwords in Dovecot 2.4 logs
  // Checked every few thousand lines: once set, IngestFile stops early (what was read is kept,
  // interrupted() says so). Usually core/interrupt.h's flag (Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
  // Called every few thousand lines with the input's name and the bytes read from it so far.
  std::function<void(const std::string& path, int64_t bytes)> on_progress;
};

class Ingester {
 public:
  // Checks the options (format name, zone). `sink` and `clock` must outlive the Ingester.
  static Result<std::unique_ptr<Ingester>> Create(const IngestOptions& options, const Clock& clock,
                                                  EventSink* sink);
  ~Ingester();

  // Reads one whole input ("-" for stdin).
  Status IngestFile(const std::string& path);

  // One input's lines with their own parser state (--follow keeps one per file generation).
  // Finish() (or the destructor) flushes what the parsers still hold.
  class Stream {
   public:
    ~Stream();
    void IngestLine(std::string_view line, int64_t line_number);
    // The size and SHA-256 of what was read, for the input's summary (before Finish()).
    void SetDigest(int64_t size, std::string sha256) {
      summary_.size = size;
      summary_.sha256 = std::move(sha256);
    }
    void Finish();
    // Ends the stream without the parsers' end-of-input events (sessions and queue entries still
    // open, queued messages): an interrupted read is not the end of the input, and those events
    // would differ from the ones the complete re-read gives (and be stored besides them).
    // The input's summary (sources record) is kept: what was read was read.
    void Abandon();

   private:
    friend class Ingester;
    class OriginSink;
    Stream(Ingester* owner, std::string name, std::string sha256);
    LogParser* Dispatch(const LogRecord& rec, LineOutcome* outcome);

    Ingester* owner_;
    std::unique_ptr<OriginSink> sink_;
    std::vector<std::unique_ptr<LogParser>> parsers_;
    LogParser* sticky_ = nullptr;
    bool finished_ = false;
    std::string journal_text_;    // the decoded fields of a journal JSON line
    std::string container_text_;  // a line decoded from a container runtime's JSON
    InputSummary summary_;
  };
  std::unique_ptr<Stream> OpenStream(const std::string& name, const std::string& sha256);

  // Reads one whole document (a hosted-mail export, see hosted_parsers.h) with the named format.
  Status IngestDocument(std::string_view raw, const std::string& name, const std::string& sha256,
                        const std::string& format);
  // The same for a whole file in a string the ingester may pad (no copy for the JSON parser).
  Status IngestDocument(std::string& raw, const std::string& name, const std::string& sha256,
                        const std::string& format);
  // The same for a text followed in memory by at least 64 readable bytes (FileContents).
  Status IngestPaddedDocument(std::string_view raw, const std::string& name,
                              const std::string& sha256, const std::string& format);
  // True when a file was left unfinished because `stop` was set.
  bool interrupted() const { return interrupted_; }

  // The run's counters so far (complete for every finished stream).
  Counters& counters();
  // The summaries of the inputs finished since the last call.
  std::vector<InputSummary> TakeInputs() { return std::move(inputs_); }

  // Reads the clock again for year-less stamps (a follower calls this on each poll).
  void RefreshNow() { time_.SetNow(clock_->Now()); }

 private:
  // The parser of a document format, counting the file and its format; an error for a name that
  // is not one.
  Result<std::unique_ptr<DocumentParser>> DocumentParserFor(const std::string& format);
  Ingester(const IngestOptions& options, LogTime time, EventSink* sink, const Clock* clock);
  class DocumentSink;

  IngestOptions options_;
  bool interrupted_ = false;
  LogTime time_;
  const Clock* clock_;
  EventSink* out_;
  Counters counters_;
  int64_t lines_ = 0, unknown_format_ = 0, empty_lines_ = 0;
  int64_t events_ = 0, filtered_ = 0, no_timestamp_ = 0, records_ = 0;
  std::vector<InputSummary> inputs_;
};

}  // namespace mxir::logs
