// journalctl -o json export lines ({"__REALTIME_TIMESTAMP":"...","MESSAGE":"...",...}) as
// LogRecords, so every format parser also reads logs exported from systemd's journal.
#pragma once

#include <string>
#include <string_view>

#include "logs/log_record.h"

namespace mxir::logs {

// True when `line` is a journal JSON object with a MESSAGE; then *rec describes it (time from
// __REALTIME_TIMESTAMP, host from _HOSTNAME, program from SYSLOG_IDENTIFIER, pid from
// SYSLOG_PID or _PID). The decoded texts live in *storage, which must outlive *rec.
bool ParseJournalLine(std::string_view line, LogRecord* rec, std::string* storage);

}  // namespace mxir::logs
