// A small RAII wrapper over SQLite3: Database (one connection), Statement (prepared, with typed
// binds and column reads) and Transaction (BEGIN IMMEDIATE ... COMMIT, rolled back if not
// committed). Errors become mxir::Error with SQLite's message.
//
// Concurrency: one Database per thread. Several processes may write one file at once: the
// connection waits up to its busy timeout for the lock, and Transaction::Begin retries on
// SQLITE_BUSY with backoff before giving up with ErrorCode::kBusy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/status.h"
#include "core/timestamp.h"

namespace mxir::casedb {

class Database {
 public:
  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens an existing file read-write (no creation: a missing file is kNotFound).
  static Result<Database> Open(const std::string& path, int busy_timeout_ms = 15000);

  Status Exec(std::string_view sql);
  sqlite3* handle() const { return db_; }
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  Error LastError(std::string_view context) const;

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  static Result<Statement> Prepare(Database& db, std::string_view sql);

  // Binds are 1-based like SQLite's. Empty optional binds NULL.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, double value);
  // Binds without copying: the bytes must stay unchanged until the next Reset() or Step() ends.
  Statement& BindTextNoCopy(int index, std::string_view value);
  Statement& BindBlob(int index, const void* data, size_t size);
  // Binds without copying: the bytes must stay unchanged until the next Reset() or Step() ends.
  Statement& BindBlobNoCopy(int index, const void* data, size_t size);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& value);
  Statement& Bind(int index, const std::optional<int64_t>& value);
  // A time as microseconds since the epoch; NULL when unknown.
  Statement& Bind(int index, const std::optional<Timestamp>& value);
  // Binds NULL for an empty string (columns where "unknown" is NULL), else the text.
  Statement& BindTextOrNull(int index, std::string_view value);
  // Binds a [since, until) range of microseconds at `index` and `index + 1`; an open end binds the
  // smallest or largest value, so `WHERE ts >= ?1 AND ts < ?2` needs no special cases.
  Statement& BindTimeRange(int index, std::optional<Timestamp> since,
                           std::optional<Timestamp> until);

  // Runs one step: true when a row is ready, false when done.
  Result<bool> Step();
  // Steps to completion, for statements without rows.
  Status Run();
  // Resets for re-use with new binds (keeps the compiled statement).
  void Reset();
  // The same, keeping the bound values (for a caller that binds every parameter again: a
  // statement of many rows has too many parameters to clear each time).
  void ResetKeepingBinds();

  int64_t ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
  // The bytes of a BLOB (or TEXT) column, valid until the next Step() or Reset().
  std::string_view ColumnBlob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
  }
  double ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string ColumnText(int col) const;
  // The text without a copy: valid until the next Step, Reset or column call on this column.
  std::string_view ColumnTextView(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (!p) return {};
    return std::string_view(reinterpret_cast<const char*>(p),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  bool ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // A time stored as microseconds since the epoch; nullopt for NULL.
  std::optional<Timestamp> ColumnTime(int col) const {
    if (ColumnIsNull(col)) return std::nullopt;
    return Timestamp::FromMicros(ColumnInt(col));
  }
  int ColumnType(int col) const { return sqlite3_column_type(stmt_, col); }
  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  std::string ColumnName(int col) const {
    const char* n = sqlite3_column_name(stmt_, col);
    return n ? n : "";
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE / COMMIT with bounded retries when another process holds the lock.
Status BeginImmediate(Database& db);
Status CommitWithRetry(Database& db);

class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN IMMEDIATE (takes the write lock now, so a later COMMIT cannot deadlock).
  Status Begin();
  Status Commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace mxir::casedb
