// LogRecord: one log line cut into its syslog parts, as every format parser receives it.
//
// SplitLogLine() finds the leading timestamp (LogTime) and, where the line is syslog-shaped,
// the reporting host, the program tag ("postfix/submission/smtpd"), its process id and the
// message. Lines in a format's own shape (Exim mainlog, Dovecot's log file, Kerio, ...) keep the
// text after the stamp in `message` with empty host/program. The views point into the line and
// live as long as it does.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/timestamp.h"
#include "logs/log_time.h"

namespace mxir::logs {

struct LogRecord {
  std::string_view raw;  // the whole line
  bool has_ts = false;
  Timestamp ts;
  std::string_view host;     // syslog host field (may be empty)
  std::string_view program;  // tag without "[pid]"/"(pid)": "postfix/smtpd", "dovecot"
  std::string_view pid;      // the bracketed part of the tag ("1234"), may be empty
  std::string_view message;  // after "tag: " (or after the stamp when there is no tag)
  int64_t line = -1;         // 1-based line number in its input, when the caller knows it
};

// Fills *rec from `line`. Never fails: a line without a stamp has has_ts == false.
void SplitLogLine(std::string_view line, LogTime& time, LogRecord* rec);

// True when `program` is `name` or ends with "/name" (postfix/submission/smtpd -> smtpd).
bool ProgramIs(std::string_view program, std::string_view name);

}  // namespace mxir::logs
