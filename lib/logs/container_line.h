// Log lines as containerised mail stacks (mailcow, Mailu, docker-mailserver) write them: the
// usual Postfix/Dovecot/nginx lines inside a container runtime's wrapping.
//
//   docker compose logs:      "postfix-mailcow-1  | Dec  6 21:55:00 mx postfix/smtpd[7]: ..."
//   docker json-file driver:  {"log":"Dec  6 21:55:00 mx postfix/smtpd[7]: ...\n","stream":...}
//   docker logs --timestamps: "2026-12-06T21:55:00.123456789Z Dec  6 21:55:00 mx postfix/..."
//   journald (docker driver): "Dec 06 21:55:00 host 1a2b3c4d5e6f[9]: Dec  6 21:55:00 mx
//   postfix/..."
//
// UnwrapContainerLine() removes the first two wrappings before the line is split;
// ResplitNestedLine() handles the last two, where a whole syslog line (with its own stamp, host
// and program tag) is the message of the outer one. The inner line's tag wins, and its stamp
// unless the outer one is an RFC 3339 stamp (which has the year the syslog stamp lacks).
#pragma once

#include <string>
#include <string_view>

#include "logs/log_record.h"
#include "logs/log_time.h"

namespace mxir::logs {

// True when `line` is a compose-prefixed or json-file line; *inner is then the wrapped line
// (decoded into *storage when it was JSON; *storage must outlive *inner).
bool UnwrapContainerLine(std::string_view line, std::string* storage, std::string_view* inner);

// When rec->message is itself a syslog line with a stamp and a program tag, re-splits *rec from
// it (keeping rec->line) and returns true.
bool ResplitNestedLine(LogTime& time, LogRecord* rec);

}  // namespace mxir::logs
