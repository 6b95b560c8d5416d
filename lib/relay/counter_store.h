// CounterStore: the guard rails' committed counts, in their own SQLite file (WAL, one writer),
// so windows survive a restart, a reload or a kill -9 of the policy service. One row per
// committed message and key: (ts, key, msgs, rcpts, domains). Rows older than the window are
// pruned. synchronous=NORMAL: a commit survives the process being killed; a power cut may lose
// the last moments (the counts then err low by those messages only).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "core/status.h"

namespace mxir::relay {

struct CounterRow {
  int64_t ts_us = 0;
  std::string key;
  int64_t msgs = 0, rcpts = 0;
  std::string domains;  // comma-separated distinct recipient domains of the message
};

class CounterStore {
 public:
  virtual ~CounterStore() = default;
  virtual Status Append(const std::vector<CounterRow>& rows) = 0;
  virtual Result<std::vector<CounterRow>> LoadSince(int64_t ts_us) = 0;
  virtual Status PruneBefore(int64_t ts_us) = 0;
};

class SqliteCounterStore final : public CounterStore {
 public:
  // Creates the file (0600) when missing.
  static Result<std::unique_ptr<SqliteCounterStore>> Open(const std::string& path);
  ~SqliteCounterStore() override;
  Status Append(const std::vector<CounterRow>& rows) override;
  Result<std::vector<CounterRow>> LoadSince(int64_t ts_us) override;
  Status PruneBefore(int64_t ts_us) override;

 private:
  SqliteCounterStore() = default;
  Status Exec(const char* sql);
  Error Err(const std::string& what) const;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::string path_;
};

}  // namespace mxir::relay
