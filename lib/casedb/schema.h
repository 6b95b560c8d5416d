// The case database's schema and its forward migrations.
//
// A case file is an SQLite database whose application_id is kApplicationId and whose
// user_version is the schema version. Each migration takes the schema from version N-1 to N and
// runs inside one transaction, so a case is never left half-upgraded. Opening a case from an older
// mxir upgrades it; one from a newer mxir is refused (it may hold data this version would lose).
//
// Version history (append only; never edit a released step):
//   1  case_meta, assets, events, actions
//   2  findings
//   3  dnsbl_checks, delistings, delisting_events (mxir dnsbl; casedb/dnsbl_store.h)
//   4  playbook_runs, playbook_steps (mxir playbook; casedb/playbook_store.h)
//   5  compact events keyed by content, strings, event_fields, sources (event_store.h); the
//      old events are re-keyed by MigrateEventsToCompact (event_migration.h)
// Later features add their tables with new steps here (dnsbl checks and delistings, relay
// messages, playbook runs).
#pragma once

#include "casedb/sqlite.h"
#include "core/status.h"

namespace mxir::casedb {

inline constexpr int kApplicationId = 0x6d786972;  // "mxir"

// The newest schema version this build knows.
int CurrentSchemaVersion();

// Reads the schema version (PRAGMA user_version).
Result<int> ReadSchemaVersion(Database& db);

// Migrates `db` from its version to CurrentSchemaVersion(), one transaction per step.
// `from_version` 0 means a new, empty database.
Status MigrateToCurrent(Database& db);

}  // namespace mxir::casedb
