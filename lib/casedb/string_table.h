// The case's string tables: `strings` (interned values — accounts, hosts, sessions, file names,
// reply texts) and `event_fields` (the field names of an event's compact rest, event_codec.h).
// Ids are only ever added, so an id cached by a writer or a reader stays valid.
//
// StringInterner is a writer's cache in front of a SELECT and an INSERT; StringCache is a
// reader's cache of values by id (LoadAll() for a whole read, one lookup per miss otherwise).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "casedb/sqlite.h"
#include "core/shared_string.h"
#include "core/status.h"

namespace mxir::casedb {

class StringInterner {
 public:
  explicit StringInterner(Database& db) : db_(db) {}

  Result<int64_t> Id(std::string_view value) {
    return Lookup(value, strings_, find_, add_, "strings");
  }
  Result<int64_t> FieldId(std::string_view name) {
    return Lookup(name, fields_, find_field_, add_field_, "event_fields");
  }

 private:
  using Cache = std::unordered_map<std::string, int64_t>;
  Result<int64_t> Lookup(std::string_view value, Cache& cache, std::optional<Statement>& find,
                         std::optional<Statement>& add, const char* table);

  Database& db_;
  Cache strings_, fields_;
  std::optional<Statement> find_, add_, find_field_, add_field_;
};

class StringCache {
 public:
  explicit StringCache(Database& db) : db_(db) {}

  Status LoadAll();
  Result<const SharedString*> Get(int64_t id);
  Result<const std::string*> Field(int64_t id);

 private:
  Database& db_;
  std::unordered_map<int64_t, SharedString> strings_;
  std::unordered_map<int64_t, std::string> fields_;
  std::optional<Statement> find_, find_field_;
};

}  // namespace mxir::casedb
