// RowDecoder: one row of the events table (the columns of kEventSelectColumns, in that order)
// back into an Event — the columns directly, the rest through event_codec.h.
#pragma once

#include <string>

#include "casedb/sqlite.h"
#include "casedb/string_table.h"
#include "core/event.h"
#include "core/event_json.h"

namespace mxir::casedb {

// "SELECT <the columns RowDecoder reads> FROM events " (a WHERE/ORDER BY may follow).
extern const char* const kEventSelectColumns;

class RowDecoder {
 public:
  explicit RowDecoder(Database& db) : cache_(db) {}
  // Reads the whole strings table at once (a whole read needs most strings).
  Status LoadAll() { return cache_.LoadAll(); }

  Status Decode(Statement& st, Event* e);

 private:
  StringCache cache_;
  EventReader reader_;
  std::string json_;
};

}  // namespace mxir::casedb
