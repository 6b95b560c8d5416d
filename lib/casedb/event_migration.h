// The schema 4 -> 5 step for events: old rows (keyed by a hash of the whole input file) are
// re-keyed by content (event_codec.h) and copied into the compact table.
//
// A log event's new key needs the bytes of its line, so each input file named in the old events
// is read again when it is still there (the path as stored, relative to the current directory)
// and still holds what was read: its SHA-256 equals the one stored with the events, or — for a
// log that has grown since — the SHA-256 of one of its first lines does. Events whose file is
// gone or changed are keyed by their content without origin; capture events need no file (their
// key is the packet's time and connection). Old rows that turn out to be the same event (a grown
// log read twice by an older mxir) are stored once. Runs inside the migration's transaction.
#pragma once

#include "casedb/sqlite.h"
#include "core/status.h"

namespace mxir::casedb {

Status MigrateEventsToCompact(Database& db);

}  // namespace mxir::casedb
