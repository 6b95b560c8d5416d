#include "logs/ingester.h"

#include <cstring>
#include <optional>

#include <sys/stat.h>
#include <unistd.h>

#include "core/file_contents.h"
#include "core/file_sha256.h"
#include "core/file_util.h"
#include "logs/container_line.h"
#include "logs/hosted_common.h"
#include "logs/journal_line.h"
#include "logs/line_source.h"
#include "logs/text_decode.h"
#include "logs/text_scan.h"

namespace mxir::logs {

// Fills origin and applies the time window before passing events on.
class Ingester::Stream::OriginSink final : public EventSink {
 public:
  OriginSink(Ingester* owner, std::string file, std::string sha256, InputSummary* summary)
      : owner_(owner), file_(std::move(file)), sha256_(std::move(sha256)), summary_(summary) {}

  void Emit(Event&& e) override {
    if (!hashed_) {  // the line's identity, only for lines that make events
      hashed_ = true;
      record_ = RecordHash(text_);
      locality_ = RecordLocality(text_);
      repeat_ = repeats_.Next(record_);
    }
    if (!has_ts_ && e.ts == Timestamp()) {
      ++owner_->no_timestamp_;
      return;
    }
    const IngestOptions& o = owner_->options_;
    if ((o.since && e.ts < *o.since) || (o.until && e.ts >= *o.until)) {
      ++owner_->filtered_;
      return;
    }
    e.origin.file = file_;
    e.origin.sha256 = sha256_;
    if (e.origin.line < 0) {
      e.origin.line = line_;
      e.origin.index = index_++;
      e.origin.record = record_;
      e.origin.repeat = repeat_;
      e.origin.locality = locality_;
    }
    // else: a parser emitting at the end of the input named the line the event comes from (and
    // its index there), so the event is the same on every read of the file; without that line's
    // bytes its identity is its content (record 0).
    ++owner_->events_;
    ++summary_->events;
    if (!summary_->first || e.ts < *summary_->first) summary_->first = e.ts;
    if (!summary_->last || *summary_->last < e.ts) summary_->last = e.ts;
    owner_->out_->Emit(std::move(e));
  }

  void SetLine(std::string_view text, int64_t line, bool has_ts) {
    text_ = text;
    at_end_ = false;
    line_ = line;
    has_ts_ = has_ts;
    index_ = 0;
    hashed_ = false;
  }

  // Events a parser still holds at the end of the input (e.g. Exim messages without
  // "Completed") have no line of their own: their identity is their content (record 0).
  void SetEndOfInput() {
    at_end_ = true;
    hashed_ = true;
    record_ = 0;
    repeat_ = 0;
    locality_ = 0;
  }

 private:
  Ingester* owner_;
  SharedString file_, sha256_;
  InputSummary* summary_;  // shared by every event of the file, not copied
  int64_t line_ = 0;
  bool has_ts_ = false;
  int index_ = 0;
  std::string_view text_;  // the current line (valid while it is parsed)
  bool at_end_ = false, hashed_ = false;
  uint64_t record_ = 0;
  int repeat_ = 0;
  int locality_ = 0;
  RecordRepeats repeats_;  // over this input
};

// The same for the records of a document: origin line = the record's number.
class Ingester::DocumentSink final : public RecordSink {
 public:
  DocumentSink(Ingester* owner, std::string file, std::string sha256)
      : owner_(owner), file_(std::move(file)), sha256_(std::move(sha256)) {}

  void SetRecord(int64_t number) override {
    line_ = number;
    index_ = 0;
    ++owner_->records_;
  }
  void Count(std::string_view what, int64_t n) override {
    owner_->counters_.Add(std::string(what), n);
  }
  bool TextIsPadded() const override { return padded_; }
  void SetPadded(bool p) { padded_ = p; }
  void Emit(Event&& e) override {
    const IngestOptions& o = owner_->options_;
    if ((o.since && e.ts < *o.since) || (o.until && e.ts >= *o.until)) {
      ++owner_->filtered_;
      return;
    }
    e.origin.file = file_;
    e.origin.sha256 = sha256_;
    e.origin.line = line_;
    e.origin.index = index_++;
    ++owner_->events_;
    owner_->out_->Emit(std::move(e));
  }

 private:
  Ingester* owner_;
  SharedString file_, sha256_;
  int64_t line_ = 0;
  int index_ = 0;
  bool padded_ = false;
};

Ingester::Ingester(const IngestOptions& options, LogTime time, EventSink* sink, const Clock* clock)
    : options_(options), time_(std::move(time)), clock_(clock), out_(sink) {}

Ingester::~Ingester() = default;

Result<std::unique_ptr<Ingester>> Ingester::Create(const IngestOptions& options, const Clock& clock,
                                                   EventSink* sink) {
  if (options.format != "auto" && MakeLogParser(options.format) == nullptr &&
      MakeDocumentParser(options.format) == nullptr) {
    std::string names;
    for (const auto& n : LogFormatNames()) names += (names.empty() ? "" : ", ") + n;
    for (const auto& n : DocumentFormatNames()) names += ", " + n;
    return MakeError(ErrorCode::kUsage,
                     "unknown log format '" + options.format + "'; use auto or one of: " + names);
  }
  if (options.year && (*options.year < 1970 || *options.year > 9999)) {
    return MakeError(ErrorCode::kUsage, "--year must be between 1970 and 9999");
  }
  auto zone = TimeZone::FromName(options.tz);
  if (!zone.ok()) return zone.error().WithContext("--tz");
  return std::unique_ptr<Ingester>(
      new Ingester(options, LogTime(*zone, clock.Now(), options.year), sink, &clock));
}

Ingester::Stream::Stream(Ingester* owner, std::string name, std::string sha256) : owner_(owner) {
  summary_.path = name;
  sink_ = std::make_unique<OriginSink>(owner, std::move(name), std::move(sha256), &summary_);
  const IngestOptions& o = owner->options_;
  if (o.format == "auto") {
    for (const auto& n : LogFormatNames()) parsers_.push_back(MakeLogParser(n, o.fingerprinter));
  } else if (auto p = MakeLogParser(o.format, o.fingerprinter)) {
    parsers_.push_back(std::move(p));
  }  // a document format on a stream (--follow): no line parser, lines count as unknown
}

std::unique_ptr<Ingester::Stream> Ingester::OpenStream(const std::string& name,
                                                       const std::string& sha256) {
  counters_.Add("files");
  return std::unique_ptr<Stream>(new Stream(this, name, sha256));
}

LogParser* Ingester::Stream::Dispatch(const LogRecord& rec, LineOutcome* outcome) {
  if (sticky_ != nullptr) {
    *outcome = sticky_->Parse(rec, *sink_);
    if (*outcome != LineOutcome::kNotMine) return sticky_;
  }
  for (auto& p : parsers_) {
    if (p.get() == sticky_) continue;
    *outcome = p->Parse(rec, *sink_);
    if (*outcome != LineOutcome::kNotMine) {
      sticky_ = p.get();
      return sticky_;
    }
  }
  return nullptr;
}

namespace {

// Whether `line` has " | " or " |\t" (a container runtime's wrapping, container_line.h): one
// memchr pass for the rare '|' instead of two searches that stop at every space.
bool HasPipeSeparator(std::string_view line) {
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  for (const char* p = begin; p < end;) {
    const void* bar = std::memchr(p, '|', static_cast<size_t>(end - p));
    if (bar == nullptr) return false;
    const char* b = static_cast<const char*>(bar);
    if (b > begin && b[-1] == ' ' && b + 1 < end && (b[1] == ' ' || b[1] == '\t')) return true;
    p = b + 1;
  }
  return false;
}

}  // namespace

void Ingester::Stream::IngestLine(std::string_view line, int64_t line_number) {
  ++owner_->lines_;
  ++summary_.records;
  LogRecord rec;
  // Container runtimes wrap the servers' lines (container_line.h); the wrapped line is read.
  std::string_view text = line;
  if (!line.empty() && (line.front() == '{' || HasPipeSeparator(line))) {
    std::string_view inner;
    if (UnwrapContainerLine(line, &container_text_, &inner)) text = inner;
  }
  if (text.empty() || text.front() != '{' || !ParseJournalLine(text, &rec, &journal_text_)) {
    SplitLogLine(text, owner_->time_, &rec);
  }
  rec.line = line_number;
  ResplitNestedLine(owner_->time_, &rec);
  sink_->SetLine(line, line_number, rec.has_ts);
  LineOutcome outcome = LineOutcome::kNotMine;
  LogParser* parser = Dispatch(rec, &outcome);
  if (parser == nullptr) {
    ++(Trim(line).empty() ? owner_->empty_lines_ : owner_->unknown_format_);
    return;
  }
  if (outcome == LineOutcome::kNotUnderstood) {
    owner_->counters_.Add(std::string("not_understood.") + parser->name());
  }
}

Ingester::Stream::~Stream() { Finish(); }

void Ingester::Stream::Finish() {
  if (finished_) return;
  finished_ = true;
  sink_->SetEndOfInput();
  for (auto& p : parsers_) p->Finish(*sink_);
  owner_->inputs_.push_back(std::move(summary_));
}

void Ingester::Stream::Abandon() {
  if (finished_) return;
  finished_ = true;
  owner_->inputs_.push_back(std::move(summary_));
}

Counters& Ingester::counters() {
  counters_.Set("lines", lines_);
  counters_.Set("events", events_);
  if (unknown_format_ > 0) counters_.Set("unknown_format", unknown_format_);
  if (empty_lines_ > 0) counters_.Set("empty_lines", empty_lines_);
  if (filtered_ > 0) counters_.Set("skipped.outside_time_range", filtered_);
  if (no_timestamp_ > 0) counters_.Set("skipped.no_timestamp", no_timestamp_);
  if (records_ > 0) counters_.Set("records", records_);
  return counters_;
}

Status Ingester::IngestFile(const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(auto source, LineSource::Open(path, options_.max_line));
  if (path == "-") source->EnableHash();  // stdin cannot be read twice: hashed as it is read
  struct stat st {};
  const bool regular = path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  const int64_t size = regular ? static_cast<int64_t>(st.st_size) : -1;
  // Hosted-mail exports (JSON, CSV with a header, UTF-16) are read as whole documents.
  std::string document_format;
  if (options_.format == "auto") {
    std::string_view head = source->Peek(64 * 1024);
    std::string decoded;
    if (DecodeText(head, &decoded)) head = decoded;
    document_format = DetectDocumentFormat(head);
  } else if (MakeDocumentParser(options_.format) != nullptr) {
    document_format = options_.format;
  }
  if (!document_format.empty()) {
    const int64_t records = records_, events = events_;
    InputSummary summary;
    summary.path = path;
    Status read, parsed;
    if (regular && !source->gzip()) {
      // Read once: the SHA-256 for the sources record is computed in the same pass.
      source.reset();
      MXIR_ASSIGN_OR_RETURN(FileContents contents, FileContents::Read(path));
      parsed = IngestPaddedDocument(contents.view(), path, "", document_format);
      summary.size = static_cast<int64_t>(contents.view().size());
      summary.sha256 = contents.sha256();
    } else {
      std::string raw;
      read = source->ReadRest(&raw);
      parsed = IngestDocument(raw, path, "", document_format);
      // A compressed file: the hash of the file as it is on disk; stdin: of the bytes read.
      Result<std::string> file_sha =
          path != "-" ? Sha256OfFile(path) : Result<std::string>(std::string());
      const bool hashed = path != "-" && file_sha.ok() && !file_sha->empty();
      summary.size = hashed ? size : static_cast<int64_t>(raw.size());
      summary.sha256 = hashed ? *file_sha : Sha256Hex(raw);
    }
    summary.records = records_ - records;
    summary.events = events_ - events;
    inputs_.push_back(std::move(summary));
    if (!read.ok()) {
      counters_.Add("files_damaged");
      return read;
    }
    return parsed;
  }
  // The input's SHA-256 for its `sources` record, off the hot path: a file is hashed on a
  // second, low-priority thread while it is parsed (what it has not hashed by the end, this
  // thread finishes: file_sha256.h); stdin (which cannot be read twice) as it is read.
  // Events never wait for it.
  std::optional<BackgroundSha256> hasher;
  if (path != "-") hasher.emplace(path);
  const int64_t lines_before = lines_, unknown_before = unknown_format_,
                empty_before = empty_lines_;
  auto stream = OpenStream(path, "");
  std::string_view line;
  const bool check = options_.stop || options_.on_progress;
  while (source->Next(&line)) {
    stream->IngestLine(line, source->line_number());
    if (check && (source->line_number() & 4095) == 0) {
      if (options_.on_progress) options_.on_progress(path, source->bytes_consumed());
      if (options_.stop && options_.stop->load(std::memory_order_relaxed)) {
        interrupted_ = true;
        break;
      }
    }
  }
  Result<std::string> sha = std::string();
  if (hasher && !interrupted_) sha = hasher->Finish();
  hasher.reset();
  if (interrupted_) {
    // Only part of the input was read: its sources record says how much, with no SHA-256 (the
    // hash of the whole file would describe bytes that were not read).
    stream->SetDigest(source->bytes_read(), "");
    stream->Abandon();
  } else {
    if (path != "-") {
      stream->SetDigest(size, sha.ok() ? *sha : "");
    } else {
      stream->SetDigest(source->bytes_read(), source->sha256_hex());
    }
    stream->Finish();
  }
  if (source->lines_cut() > 0) counters_.Add("lines_cut", source->lines_cut());
  if (!source->status().ok()) {
    counters_.Add("files_damaged");
    return source->status().error();
  }
  // A file in which no line was understood is not what the user thinks it is: say so (exit 2)
  // rather than report "0 events" as success.
  const int64_t text_lines = (lines_ - lines_before) - (empty_lines_ - empty_before);
  if (!interrupted_ && text_lines > 0 && unknown_format_ - unknown_before == text_lines) {
    std::string formats;
    for (const auto& n : LogFormatNames()) formats += (formats.empty() ? "" : ", ") + n;
    const std::string name = path == "-" ? "standard input" : "'" + path + "'";
    if (options_.format != "auto") {
      return MakeError(ErrorCode::kInvalidInput,
                       name + " does not hold " + options_.format + " log lines: none of its " +
                           std::to_string(text_lines) +
                           " lines is one (leave out --log-format to recognise the format; "
                           "formats: " +
                           formats + ")");
    }
    return MakeError(ErrorCode::kInvalidInput,
                     name + " does not look like a mail log: none of its " +
                         std::to_string(text_lines) +
                         " lines is in a known format (formats: " + formats + ")");
  }
  return Status::Ok();
}

Result<std::unique_ptr<DocumentParser>> Ingester::DocumentParserFor(const std::string& format) {
  auto parser = MakeDocumentParser(format);
  if (parser == nullptr) {
    return MakeError(ErrorCode::kUsage, "'" + format + "' is not a document format");
  }
  counters_.Add("files");
  counters_.Add("format." + format);
  return parser;
}

Status Ingester::IngestDocument(std::string_view raw, const std::string& name,
                                const std::string& sha256, const std::string& format) {
  MXIR_ASSIGN_OR_RETURN(auto parser, DocumentParserFor(format));
  std::string decoded;
  std::string_view text = raw;
  if (DecodeText(raw, &decoded)) text = decoded;
  DocumentSink sink(this, name, sha256);
  parser->Parse(text, sink);
  return Status::Ok();
}

Status Ingester::IngestPaddedDocument(std::string_view raw, const std::string& name,
                                      const std::string& sha256, const std::string& format) {
  MXIR_ASSIGN_OR_RETURN(auto parser, DocumentParserFor(format));
  std::string decoded;
  DocumentSink sink(this, name, sha256);
  if (DecodeText(raw, &decoded)) {
    parser->Parse(decoded, sink);  // a copy without padding: the parser pads it if it must
  } else {
    sink.SetPadded(true);
    parser->Parse(raw, sink);
  }
  return Status::Ok();
}

Status Ingester::IngestDocument(std::string& raw, const std::string& name,
                                const std::string& sha256, const std::string& format) {
  MXIR_ASSIGN_OR_RETURN(auto parser, DocumentParserFor(format));
  constexpr size_t kPadding = 64;  // >= simdjson::SIMDJSON_PADDING
  std::string decoded;
  std::string* text = &raw;
  if (DecodeText(raw, &decoded)) text = &decoded;
  if (text->capacity() < text->size() + kPadding) text->reserve(text->size() + kPadding);
  DocumentSink sink(this, name, sha256);
  sink.SetPadded(true);
  parser->Parse(*text, sink);
  return Status::Ok();
}

}  // namespace mxir::logs
