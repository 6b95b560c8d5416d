// LogParser: the interface every log format implements, and the EventSink it emits into.
//
// A parser sees each line once, in file order, as a LogRecord, and says whether the line is of
// its format (and then whether it understood it). It may keep state across lines (Postfix joins
// lines by process id and queue id) and emits Events as soon as they are known; Finish() emits
// what is still pending at the end of the input. The caller (Ingester) fills each event's
// `origin`. Parsers never do I/O and never fail: a line they do not understand is reported as
// such and counted by the caller. One parser per input stream and thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/secret_fingerprint.h"
#include "logs/log_record.h"

namespace mxir::logs {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(Event&& event) = 0;
};

enum class LineOutcome {
  kNotMine,        // not this format: the caller may try another parser
  kUnderstood,     // this format, handled (with or without events)
  kNotUnderstood,  // this format, but a message the parser does not know (counted)
};

class LogParser {
 public:
  virtual ~LogParser() = default;
  // The format name and the Event `source` ("postfix", "dovecot", ...).
  virtual const char* name() const = 0;
  virtual LineOutcome Parse(const LogRecord& rec, EventSink& sink) = 0;
  virtual void Finish(EventSink& sink) {}
};

// A new event of `kind` with the line's time and the parser's source filled in.
inline Event MakeEvent(const LogRecord& rec, const char* source, EventKind kind) {
  Event e;
  e.ts = rec.ts;
  e.source = source;
  e.kind = kind;
  if (!rec.host.empty()) e.server_name = std::string(rec.host);
  return e;
}

// All formats by name ("postfix", "dovecot", "exim", "sendmail", "courier", ...).
std::vector<std::string> LogFormatNames();
// A new parser for `name`; nullptr when the name is unknown. `fingerprinter` (may be null) is
// for formats that log plain passwords (see DovecotParser).
std::unique_ptr<LogParser> MakeLogParser(std::string_view name,
                                         const SecretFingerprinter* fingerprinter = nullptr);

}  // namespace mxir::logs
