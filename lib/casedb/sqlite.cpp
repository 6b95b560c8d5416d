#include "casedb/sqlite.h"

#include <chrono>
#include <thread>

namespace mxir::casedb {

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

namespace {

// Before SQLite's first use in the process: no global memory statistics. With them on (the
// default) every allocation SQLite makes takes a process-wide mutex (a bulk insert makes several
// per row); nothing here reads those statistics. A no-op when SQLite was initialized already.
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

Result<Database> Database::Open(const std::string& path, int busy_timeout_ms) {
  ConfigureSqliteOnce();
  Database db;
  int rc =
      sqlite3_open_v2(path.c_str(), &db.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    ErrorCode code = (rc == SQLITE_CANTOPEN) ? ErrorCode::kNotFound : ErrorCode::kIo;
    return MakeError(code, "cannot open '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db.db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

// What to do about a write that failed for lack of space (SQLite says "disk I/O error" when the
// OS refuses to grow the file, "database or disk is full" when it knows).
static std::string SpaceHint(int primary) {
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
    return " (is the disk full, or a file size limit reached? free space and run again: what was "
           "committed before is kept)";
  }
  return "";
}

Error Database::LastError(std::string_view context) const {
  int rc = sqlite3_errcode(db_);
  int primary = rc & 0xff;
  ErrorCode code = ErrorCode::kInternal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = ErrorCode::kBusy;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) code = ErrorCode::kCorrupt;
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_READONLY ||
      primary == SQLITE_CANTOPEN || primary == SQLITE_PERM) {
    code = ErrorCode::kIo;
  }
  return MakeError(code, std::string(context) + ": " + sqlite3_errmsg(db_) + SpaceHint(primary));
}

Status Database::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Error e = LastError("database");
    if (err) sqlite3_free(err);
    return e;
  }
  return Status::Ok();
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    db_ = other.db_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Result<Statement> Statement::Prepare(Database& db, std::string_view sql) {
  Statement st;
  st.db_ = db.handle();
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &st.stmt_, nullptr);
  if (rc != SQLITE_OK) return db.LastError("preparing a query");
  return st;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindTextNoCopy(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::BindBlob(int index, const void* data, size_t size) {
  sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlobNoCopy(int index, const void* data, size_t size) {
  sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_STATIC);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindTextOrNull(int index, std::string_view value) {
  return value.empty() ? BindNull(index) : Bind(index, value);
}

Statement& Statement::Bind(int index, const std::optional<Timestamp>& value) {
  return value ? Bind(index, value->micros()) : BindNull(index);
}

Statement& Statement::BindTimeRange(int index, std::optional<Timestamp> since,
                                    std::optional<Timestamp> until) {
  Bind(index, since ? since->micros() : INT64_MIN);
  return Bind(index + 1, until ? until->micros() : INT64_MAX);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int primary = rc & 0xff;
  ErrorCode code = ErrorCode::kInternal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = ErrorCode::kBusy;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) code = ErrorCode::kCorrupt;
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_READONLY) {
    code = ErrorCode::kIo;
  }
  return MakeError(code, std::string("database: ") + sqlite3_errmsg(db_) + SpaceHint(primary));
}

Status Statement::Run() {
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::ResetKeepingBinds() { sqlite3_reset(stmt_); }

std::string Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return "";
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status BeginImmediate(Database& db) {
  // The busy handler already waits; a deadlock-avoidance BUSY can still come back at once, so
  // retry a bounded number of times with growing sleeps (about 25 s in all).
  for (int attempt = 0; attempt < 50; ++attempt) {
    int rc = sqlite3_exec(db.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
      return db.LastError("starting a transaction");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + attempt * 20));
  }
  return MakeError(ErrorCode::kBusy,
                   "the case file stayed locked by another writer; try again when it finishes");
}

Status CommitWithRetry(Database& db) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int rc = sqlite3_exec(db.handle(), "COMMIT", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if ((rc & 0xff) != SQLITE_BUSY) return db.LastError("committing");
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + attempt * 20));
  }
  return MakeError(ErrorCode::kBusy, "could not commit: the case file stayed locked");
}

Status Transaction::Begin() {
  MXIR_RETURN_IF_ERROR(BeginImmediate(db_));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  MXIR_RETURN_IF_ERROR(CommitWithRetry(db_));
  open_ = false;
  return Status::Ok();
}

}  // namespace mxir::casedb
