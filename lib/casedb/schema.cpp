#include "casedb/schema.h"

#include <string>
#include <vector>

#include "casedb/event_migration.h"

namespace mxir::casedb {

namespace {

// Each entry is the SQL that takes the schema from version (index) to (index + 1).
const std::vector<const char*>& Steps() {
  static const std::vector<const char*> steps = {
      // 0 -> 1
      R"sql(
      CREATE TABLE case_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE assets (
        id       INTEGER PRIMARY KEY,
        kind     TEXT NOT NULL CHECK (kind IN ('ip', 'network', 'domain', 'account')),
        value    TEXT NOT NULL,
        note     TEXT NOT NULL DEFAULT '',
        source   TEXT NOT NULL DEFAULT 'manual',
        added    INTEGER NOT NULL,
        added_by TEXT NOT NULL,
        UNIQUE (kind, value)
      );
      CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        key       BLOB NOT NULL UNIQUE,
        ts        INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        source    TEXT NOT NULL,
        session   TEXT,
        client_ip TEXT,
        user      TEXT,
        json      TEXT NOT NULL
      );
      CREATE INDEX events_by_ts ON events (ts);
      CREATE TABLE actions (
        id      INTEGER PRIMARY KEY,
        ts      INTEGER NOT NULL,
        tool    TEXT NOT NULL,
        actor   TEXT NOT NULL,
        target  TEXT NOT NULL,
        action  TEXT NOT NULL,
        outcome TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX actions_by_ts ON actions (ts);
      )sql",
      // 1 -> 2
      R"sql(
      CREATE TABLE findings (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        severity   TEXT NOT NULL,
        client_ip  TEXT,
        user       TEXT,
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        created    INTEGER NOT NULL,
        updated    INTEGER NOT NULL,
        json       TEXT NOT NULL
      );
      CREATE INDEX findings_by_first_seen ON findings (first_seen);
      )sql",
      // 2 -> 3
      R"sql(
      CREATE TABLE dnsbl_checks (
        id      INTEGER PRIMARY KEY,
        ts      INTEGER NOT NULL,
        target  TEXT NOT NULL,
        zone    TEXT NOT NULL,
        list    TEXT NOT NULL DEFAULT '',
        status  TEXT NOT NULL CHECK (status IN ('listed', 'not_listed', 'refused', 'error')),
        codes   TEXT NOT NULL DEFAULT '[]',
        meaning TEXT NOT NULL DEFAULT '',
        txt     TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX dnsbl_checks_by_pair ON dnsbl_checks (target, zone, ts);
      CREATE INDEX dnsbl_checks_by_ts ON dnsbl_checks (ts);
      CREATE TABLE delistings (
        target       TEXT NOT NULL,
        zone         TEXT NOT NULL,
        list         TEXT NOT NULL DEFAULT '',
        state        TEXT NOT NULL,
        first_listed INTEGER,
        listed_since INTEGER,
        last_listed  INTEGER,
        delisted_at  INTEGER,
        fixed_at     INTEGER,
        fix_note     TEXT NOT NULL DEFAULT '',
        requested_at INTEGER,
        request_ref  TEXT NOT NULL DEFAULT '',
        request_how  TEXT NOT NULL DEFAULT '',
        relist_count INTEGER NOT NULL DEFAULT 0,
        updated      INTEGER NOT NULL,
        PRIMARY KEY (target, zone)
      );
      CREATE TABLE delisting_events (
        id         INTEGER PRIMARY KEY,
        ts         INTEGER NOT NULL,
        target     TEXT NOT NULL,
        zone       TEXT NOT NULL,
        event      TEXT NOT NULL,
        from_state TEXT NOT NULL DEFAULT '',
        to_state   TEXT NOT NULL DEFAULT '',
        details    TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX delisting_events_by_ts ON delisting_events (ts);
      )sql",
      // 3 -> 4: mxir playbook runs and their steps (lib/casedb/playbook_store.h)
      R"sql(
      CREATE TABLE playbook_runs (
        run_id          TEXT PRIMARY KEY,
        runbook_id      TEXT NOT NULL,
        runbook_version INTEGER NOT NULL,
        runbook_sha256  TEXT NOT NULL,
        runbook_text    TEXT NOT NULL,
        inputs          TEXT NOT NULL DEFAULT '{}',
        status          TEXT NOT NULL,
        outcome         TEXT NOT NULL DEFAULT '',
        current_step    TEXT NOT NULL DEFAULT '',
        dry_run         INTEGER NOT NULL DEFAULT 0,
        started_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        ended_at        INTEGER,
        started_by      TEXT NOT NULL,
        host            TEXT NOT NULL DEFAULT '',
        pid             INTEGER NOT NULL DEFAULT 0,
        notes           TEXT NOT NULL DEFAULT '[]'
      );
      CREATE TABLE playbook_steps (
        run_id          TEXT NOT NULL,
        key             TEXT NOT NULL,
        step_id         TEXT NOT NULL,
        type            TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('done', 'skipped', 'failed', 'waiting',
                                                        'running', 'unknown')),
        reason          TEXT NOT NULL DEFAULT '',
        started_at      INTEGER,
        ended_at        INTEGER,
        command         TEXT NOT NULL DEFAULT '',
        idempotency_key TEXT NOT NULL DEFAULT '',
        exit_code       INTEGER,
        summary         TEXT NOT NULL DEFAULT '',
        stdout_sha256   TEXT NOT NULL DEFAULT '',
        answer          TEXT,
        answered_by     TEXT NOT NULL DEFAULT '',
        outputs         TEXT NOT NULL DEFAULT '{}',
        approved_by     TEXT NOT NULL DEFAULT '',
        approval_text   TEXT NOT NULL DEFAULT '',
        unlocks         TEXT NOT NULL DEFAULT '[]',
        next_due_at     INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (run_id, key)
      );
      CREATE INDEX playbook_steps_by_seq ON playbook_steps (run_id, seq);
      )sql",
      // 4 -> 5: findings have a life: active (supported by the last detect run), resolved (a
      // later run no longer supports it) or dismissed (a person marked it a false positive).
      R"sql(
      ALTER TABLE findings ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'resolved', 'dismissed'));
      ALTER TABLE findings ADD COLUMN status_why TEXT NOT NULL DEFAULT '';
      ALTER TABLE findings ADD COLUMN status_at INTEGER;
      ALTER TABLE findings ADD COLUMN status_by TEXT NOT NULL DEFAULT '';
      )sql",
      // 5 -> 6: compact events with identity from content (event_store.h, event_codec.h), the
      // interned strings and field names they use, and one `sources` record per input read.
      // The old rows are re-keyed and copied by MigrateEventsToCompact (event_migration.h).
      R"sql(
      CREATE TABLE strings (
        id    INTEGER PRIMARY KEY,
        value TEXT NOT NULL UNIQUE
      );
      CREATE TABLE event_fields (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      CREATE TABLE sources (
        id         INTEGER PRIMARY KEY,
        path       TEXT NOT NULL,
        size       INTEGER,
        sha256     TEXT,
        first_seen INTEGER,
        last_seen  INTEGER,
        records    INTEGER NOT NULL DEFAULT 0,
        events     INTEGER NOT NULL DEFAULT 0,
        stored     INTEGER NOT NULL DEFAULT 0,
        tool       TEXT NOT NULL,
        read_at    INTEGER NOT NULL
      );
      DROP INDEX events_by_ts;
      ALTER TABLE events RENAME TO events_v3;
      CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        key         INTEGER NOT NULL,
        ts          INTEGER NOT NULL,
        kind        INTEGER NOT NULL,
        source      INTEGER,
        protocol    INTEGER,
        session     INTEGER,
        client_ip   BLOB,
        client_port INTEGER,
        server_ip   BLOB,
        server_port INTEGER,
        user        INTEGER,
        file        INTEGER,
        line        INTEGER,
        packet      INTEGER,
        idx         INTEGER NOT NULL DEFAULT 0,
        rest        BLOB
      );
      CREATE UNIQUE INDEX events_by_key ON events (key);
      CREATE INDEX events_by_ts ON events (ts);
      CREATE INDEX events_by_client ON events (client_ip) WHERE client_ip IS NOT NULL;
      CREATE INDEX events_by_user ON events (user) WHERE user IS NOT NULL;
      )sql",
      // 6 -> 7: events keep only the indexes a query uses: events_by_key (identity: a re-read
      // adds nothing) and events_by_ts (time order and ranges; a cursor reads by row id). No
      // tool queries events by client or account (detect reads them all in time order), and
      // each of these two indexes cost about 1.5 us per stored event (a random insert into a
      // large b-tree, and its pages rewritten at every commit). A query that needs one later
      // adds its own step with the index it needs.
      R"sql(
      DROP INDEX IF EXISTS events_by_client;
      DROP INDEX IF EXISTS events_by_user;
      )sql",
      // 7 -> 8: the identity index is ordered by where the record sits in the day. The key is a
      // 64-bit hash: the rows of one batch went to random places of events_by_key, so each
      // commit rewrote nearly every page of it (ingest --case of the 3.6 M events of the casedb
      // benchmark's log: 33.0 s of CPU with it, 26.3 s with this index, on a loaded machine).
      // `loc` (EventLocality, event_codec.h) comes from the same content as the key — a log
      // line's own "HH:MM:SS", never its inferred year or zone — so identity stays (loc, key),
      // the same on every read, and a batch of consecutive records lands on a few neighbouring
      // pages. Rows stored before this step keep loc NULL (their bytes are not in the case to
      // compute it from); while a case has such rows, the trigger events_legacy_key
      // (GuardLegacyKeys) keeps a new row out when a legacy row has its key, so reading those
      // inputs again still adds nothing.
      R"sql(
      ALTER TABLE events ADD COLUMN loc INTEGER;
      DROP INDEX IF EXISTS events_by_key;
      CREATE UNIQUE INDEX events_by_loc_key ON events (loc, key);
      )sql",
      // 8 -> 9: events.session holds the session id inline, as a BLOB (BLOB, so the column's
      // INTEGER affinity never turns a session "12345" into a number). Rows stored before this
      // step keep an id of `strings` (an INTEGER); the reader (event_row_decoder.cpp) tells them
      // apart by the value's type. About one new session id per four events (Postfix queue ids,
      // Dovecot session ids) made every fourth event a random insert into the UNIQUE index on
      // strings.value — the largest single cost of storing. No table changes (SQLite columns
      // are dynamically typed); the version keeps an older mxir, which would read a BLOB as an
      // id, from opening a case that has such rows.
      R"sql(
      SELECT 1;
      )sql",
      // 9 -> 10: a log line's loc adds 86400 times the day of the month its stamp gives
      // (RecordLocality, core/event.h). Without it, the lines of each day of a log of many days
      // went between the rows of the days before in events_by_loc_key (same times of day), so
      // each commit touched pages all over that index instead of adding at its end. No table
      // changes; rows stored before keep their day-less loc, and while a case has such rows the
      // trigger events_dayless_key (GuardDayLessKeys) keeps a new row out when one of them is
      // the same record, so reading those inputs again still adds nothing.
      R"sql(
      SELECT 1;
      )sql",
  };
  return steps;
}

// Step 9 -> 10 for a case that has rows with a loc already: a new row whose loc names a day
// (> 86400) is not stored when a row of the same key has that loc without the day — the same
// record, stored before this step (RAISE(IGNORE) counts as an ignored insert, like a duplicate).
// A case created at schema 10 has no such rows and no trigger: its inserts pay no extra lookup.
Status GuardDayLessKeys(Database& db) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(db, "SELECT 1 FROM events WHERE loc > 0 LIMIT 1"));
  MXIR_ASSIGN_OR_RETURN(bool any, st.Step());
  if (!any) return Status::Ok();
  return db.Exec(R"sql(
      CREATE TRIGGER events_dayless_key BEFORE INSERT ON events
      WHEN NEW.loc > 86400 AND
           EXISTS (SELECT 1 FROM events WHERE loc = (NEW.loc - 1) % 86400 + 1 AND key = NEW.key)
      BEGIN SELECT RAISE(IGNORE); END;
      )sql");
}

// Step 7 -> 8 for a case that has events already (their loc is NULL): a new row whose key a
// legacy row has is not stored (RAISE(IGNORE) counts as an ignored insert, like a duplicate).
// A case created at schema 8 has no legacy rows and no trigger: its inserts pay no extra lookup.
Status GuardLegacyKeys(Database& db) {
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "SELECT 1 FROM events LIMIT 1"));
  MXIR_ASSIGN_OR_RETURN(bool any, st.Step());
  if (!any) return Status::Ok();
  return db.Exec(R"sql(
      CREATE TRIGGER events_legacy_key BEFORE INSERT ON events
      WHEN NEW.loc IS NOT NULL AND
           EXISTS (SELECT 1 FROM events WHERE loc IS NULL AND key = NEW.key)
      BEGIN SELECT RAISE(IGNORE); END;
      )sql");
}

}  // namespace

int CurrentSchemaVersion() { return static_cast<int>(Steps().size()); }

Result<int> ReadSchemaVersion(Database& db) {
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "PRAGMA user_version"));
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return MakeError(ErrorCode::kCorrupt, "no schema version");
  int64_t v = st.ColumnInt(0);
  if (v < 0 || v > 1000000) {
    return MakeError(ErrorCode::kCorrupt, "the case is damaged: its schema version (" +
                                              std::to_string(v) + ") is impossible");
  }
  return static_cast<int>(v);
}

Status MigrateToCurrent(Database& db) {
  for (;;) {
    Transaction tx(db);
    MXIR_RETURN_IF_ERROR(tx.Begin());
    // Read inside the write lock: another process may have migrated meanwhile.
    MXIR_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
    if (version >= CurrentSchemaVersion()) return Status::Ok();
    MXIR_RETURN_IF_ERROR(db.Exec(Steps()[static_cast<size_t>(version)]));
    if (version + 1 == 6) MXIR_RETURN_IF_ERROR(MigrateEventsToCompact(db));
    if (version + 1 == 8) MXIR_RETURN_IF_ERROR(GuardLegacyKeys(db));
    if (version + 1 == 10) MXIR_RETURN_IF_ERROR(GuardDayLessKeys(db));
    MXIR_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(version + 1)));
    MXIR_RETURN_IF_ERROR(tx.Commit());
  }
}

}  // namespace mxir::casedb
