#include "relay/counter_store.h"

#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mxir::relay {

Result<std::unique_ptr<SqliteCounterStore>> SqliteCounterStore::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, "cannot open the counters file " + path +
                                         " (does its directory exist and is it writable?)");
  }
  ::close(fd);
  std::unique_ptr<SqliteCounterStore> s(new SqliteCounterStore());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return s->Err("open");
  }
  sqlite3_busy_timeout(s->db_, 5000);
  // Only the policy service uses this file: holding its lock for the whole run saves the file
  // locking system calls of every transaction, and a second service on the same counters is
  // refused ("database is locked") instead of counting beside the first. The lock dies with the
  // process (kill -9 included).
  MXIR_RETURN_IF_ERROR(s->Exec("PRAGMA locking_mode=EXCLUSIVE"));
  MXIR_RETURN_IF_ERROR(s->Exec("PRAGMA journal_mode=WAL"));
  MXIR_RETURN_IF_ERROR(s->Exec("PRAGMA synchronous=NORMAL"));
  MXIR_RETURN_IF_ERROR(
      s->Exec("CREATE TABLE IF NOT EXISTS relay_counts (ts INTEGER NOT NULL, key TEXT NOT NULL, "
              "msgs INTEGER NOT NULL, rcpts INTEGER NOT NULL, domains TEXT NOT NULL)"));
  MXIR_RETURN_IF_ERROR(s->Exec("CREATE INDEX IF NOT EXISTS relay_counts_ts ON relay_counts (ts)"));
  if (sqlite3_prepare_v2(s->db_,
                         "INSERT INTO relay_counts (ts, key, msgs, rcpts, domains) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)",
                         -1, &s->insert_, nullptr) != SQLITE_OK) {
    return s->Err("prepare");
  }
  return s;
}

SqliteCounterStore::~SqliteCounterStore() {
  if (insert_) sqlite3_finalize(insert_);
  if (db_) sqlite3_close(db_);
}

Error SqliteCounterStore::Err(const std::string& what) const {
  return MakeError(ErrorCode::kIo, "counters file " + path_ + ": " + what + ": " +
                                       (db_ ? sqlite3_errmsg(db_) : "cannot open"));
}

Status SqliteCounterStore::Exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "error";
    sqlite3_free(msg);
    return MakeError(ErrorCode::kIo, "counters file " + path_ + ": " + m);
  }
  return Status::Ok();
}

Status SqliteCounterStore::Append(const std::vector<CounterRow>& rows) {
  if (rows.empty()) return Status::Ok();
  MXIR_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  for (const auto& r : rows) {
    sqlite3_reset(insert_);
    sqlite3_bind_int64(insert_, 1, r.ts_us);
    sqlite3_bind_text(insert_, 2, r.key.data(), static_cast<int>(r.key.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 3, r.msgs);
    sqlite3_bind_int64(insert_, 4, r.rcpts);
    sqlite3_bind_text(insert_, 5, r.domains.data(), static_cast<int>(r.domains.size()),
                      SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE) {
      Error e = Err("insert");
      sqlite3_reset(insert_);
      (void)Exec("ROLLBACK");
      return e;
    }
  }
  sqlite3_reset(insert_);
  if (auto st = Exec("COMMIT"); !st.ok()) {
    (void)Exec("ROLLBACK");
    return st;
  }
  return Status::Ok();
}

Result<std::vector<CounterRow>> SqliteCounterStore::LoadSince(int64_t ts_us) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT ts, key, msgs, rcpts, domains FROM relay_counts WHERE ts > ?1 "
                         "ORDER BY ts, rowid",
                         -1, &st, nullptr) != SQLITE_OK) {
    return Err("prepare");
  }
  sqlite3_bind_int64(st, 1, ts_us);
  std::vector<CounterRow> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    CounterRow r;
    r.ts_us = sqlite3_column_int64(st, 0);
    const auto* k = sqlite3_column_text(st, 1);
    r.key = k ? reinterpret_cast<const char*>(k) : "";
    r.msgs = sqlite3_column_int64(st, 2);
    r.rcpts = sqlite3_column_int64(st, 3);
    const auto* d = sqlite3_column_text(st, 4);
    r.domains = d ? reinterpret_cast<const char*>(d) : "";
    out.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Err("read");
  return out;
}

Status SqliteCounterStore::PruneBefore(int64_t ts_us) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "DELETE FROM relay_counts WHERE ts <= ?1", -1, &st, nullptr) !=
      SQLITE_OK) {
    return Err("prepare");
  }
  sqlite3_bind_int64(st, 1, ts_us);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Err("prune");
  return Status::Ok();
}

}  // namespace mxir::relay
