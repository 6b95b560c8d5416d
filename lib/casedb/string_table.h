// The case's string tables: `strings` (interned values — accounts, hosts, sessions, file names,
// reply texts) and `event_fields` (the field names of an event's compact rest, event_codec.h).
// Ids are only ever added, so an id cached by a writer or a reader stays valid.
//
// StringInterner is a writer's cache in front of an INSERT (and a SELECT); StringCache is a
// reader's cache of values by id (LoadAll() for a whole read, one lookup per miss otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "casedb/sqlite.h"
#include "core/shared_string.h"
#include "core/status.h"

namespace mxir::casedb {

class StringInterner {
 public:
  explicit StringInterner(Database& db);
  ~StringInterner();
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // The hash the tables use (never 0): a producer thread may compute it ahead (IdHashed).
  static uint64_t Hash(std::string_view value);

  Result<int64_t> Id(std::string_view value) { return strings_.Lookup(db_, value, Hash(value)); }
  Result<int64_t> FieldId(std::string_view name) { return fields_.Lookup(db_, name, Hash(name)); }
  // The same, with `hash` == Hash(value) computed before (on another thread).
  Result<int64_t> IdHashed(std::string_view value, uint64_t hash) {
    return strings_.Lookup(db_, value, hash);
  }
  Result<int64_t> FieldIdHashed(std::string_view name, uint64_t hash) {
    return fields_.Lookup(db_, name, hash);
  }
  // The id of a value this writer's cache holds, else 0 (asks the case nothing, adds nothing).
  int64_t CachedId(std::string_view value, uint64_t hash) { return strings_.Cached(value, hash); }

  // For a writer, right after it took the write lock (BEGIN IMMEDIATE): adds what other writers
  // stored since the last call to the cache (rows with a larger id), and loads a table whole once
  // this writer has added many new strings (a bulk load) or when the table is small. A whole
  // cache is asked no SELECT: a miss goes straight to INSERT. Correct without this call too (an
  // INSERT that finds the value already stored falls back to a SELECT); it only saves queries.
  Status Sync();
  // After Sync() and until Flush() (the writer's batch), new values get the next ids at once and
  // are written together, many rows per INSERT, by Flush() — call it before the commit.
  Status Flush();

 private:
  // One table's cache: value -> id in an open-addressing table, one hash per lookup, the bytes in
  // an arena (no std::string per entry).
  class Table {
   public:
    Table(const char* table, const char* column) : table_(table), column_(column) {}
    Result<int64_t> Lookup(Database& db, std::string_view value, uint64_t hash);
    int64_t Cached(std::string_view value, uint64_t hash) { return Find(hash, value)->id; }
    Status Sync(Database& db);
    Status Flush(Database& db);

   private:
    struct Slot {
      uint64_t hash = 0;
      const char* data = nullptr;
      uint32_t size = 0;
      int64_t id = 0;  // 0: empty
    };
    Slot* Find(uint64_t hash, std::string_view value);
    void Add(Slot* slot, uint64_t hash, std::string_view value, int64_t id);
    void Grow();
    Status Load(Database& db, int64_t after_id);  // adds the rows with id > after_id
    Status PrepareStatements(Database& db);

    const char* table_;
    const char* column_;
    std::vector<Slot> slots_ = std::vector<Slot>(1024);
    size_t used_ = 0;
    std::vector<std::unique_ptr<char[]>> arena_;
    size_t arena_left_ = 0;
    char* arena_next_ = nullptr;
    bool whole_ = false;     // holds every row with id <= max_id_ (as of the last Sync)
    bool sized_ = false;     // the table's size was looked at once
    int64_t max_id_ = 0;     // the largest id known
    int64_t misses_ = 0;     // values not in the cache
    bool deferred_ = false;  // between Sync() (whole, under the write lock) and Flush()
    struct Pending {
      int64_t id;
      const char* data;
      uint32_t size;
    };
    std::vector<Pending> pending_;  // new rows not written yet
    std::optional<Statement> find_, add_, add_many_, add_one_;
  };

  Database& db_;
  Table strings_, fields_;
};

class StringCache {
 public:
  // One value of `strings`: its text (in the cache's arena, valid as long as the cache) and
  // `plain_json` when it can stand as the text of a JSON string as it is (valid UTF-8, no quote,
  // backslash or control character): a reader of the compact rest then takes it without
  // unescaping. A SharedString of it is made only when one is asked for (Get): most values are
  // copied into an Event's std::string members and need none.
  struct Entry {
    const char* data = nullptr;
    uint32_t size = 0;
    bool plain_json = false;
    bool loaded = false;
    SharedString shared;  // made by Get() on first use
    std::string_view text() const { return {data, size}; }
  };

  explicit StringCache(Database& db) : db_(db) {}

  Status LoadAll();
  // The value as a SharedString, one per id: every event given the same id shares it.
  Result<const SharedString*> Get(int64_t id) {
    MXIR_ASSIGN_OR_RETURN(Entry * e, Find(id));
    if (e->shared.empty() && e->size > 0) e->shared = SharedString(e->text());
    return &e->shared;
  }
  Result<std::string_view> Text(int64_t id) {
    MXIR_ASSIGN_OR_RETURN(Entry * e, Find(id));
    return e->text();
  }
  Result<const Entry*> GetEntry(int64_t id) {
    MXIR_ASSIGN_OR_RETURN(Entry * e, Find(id));
    return e;
  }
  Result<const std::string*> Field(int64_t id);

 private:
  Result<Entry*> Find(int64_t id) {
    if (id > 0 && static_cast<uint64_t>(id) < strings_.size() && strings_[id].loaded) {
      return &strings_[id];
    }
    return Miss(id);
  }
  Result<Entry*> Miss(int64_t id);
  Entry* Slot(int64_t id);
  Status Fill(Entry* e, std::string_view value);  // copies the value into the arena

  Database& db_;
  // By id (ids are given densely from 1); ids far beyond the loaded ones (a corrupt row) go to
  // sparse_ so one bad id cannot make the vector huge.
  std::vector<Entry> strings_;
  std::unordered_map<int64_t, Entry> sparse_;
  std::unordered_map<int64_t, std::string> fields_;
  // The values' bytes, in chunks that never move (an Entry points into them).
  std::vector<std::unique_ptr<char[]>> arena_;
  char* arena_next_ = nullptr;
  size_t arena_left_ = 0;
  std::optional<Statement> find_, find_field_;
};

}  // namespace mxir::casedb
