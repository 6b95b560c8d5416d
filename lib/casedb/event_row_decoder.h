// RowDecoder: one row of the events table (the columns of kEventSelectColumns, in that order)
// back into an Event — the columns directly, the rest (event_codec.h) member by member.
//
// The compact rest is a run of (field token, value): the value is an interned string (token
// 0x01 and its id) or the JSON text of the value as the Event writer made it. Each member is set
// straight into the Event (EventMember) when it is text, a whole number, a boolean or a list of
// text that needs no unescaping — nearly all of them; any other value is read as JSON by
// EventReader::ParseMember, so both ways give the event the JSON reader would. A rest that does
// not decode (a value with no field, a token naming no string or field, bad JSON) fails the row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

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

  // The rest alone (exposed for tests and the fuzzer): its members into `e` (not reset).
  Status DecodeRestInto(std::string_view blob, EventKind kind, Event* e);

 private:
  struct Field {
    bool resolved = false;
    std::string name;
    EventMember member;
  };
  Result<const Field*> FieldFor(int64_t id);
  Status SetRaw(const Field& f, std::string_view raw, Event* e);
  Status SetInterned(const Field& f, int64_t string_id, Event* e);

  // A session stored inline (schema 9) as one SharedString for the rows that have it: the last
  // few hundred distinct sessions by a hash of their text (a session's events are close together
  // in the table), so a session's rows share one string as an interned one's did.
  const SharedString& Session(std::string_view text);

  StringCache cache_;
  EventReader reader_;
  std::vector<SharedString> sessions_;
  std::vector<Field> fields_;  // by field id
  std::string json_;
  std::vector<std::string_view> items_;
};

}  // namespace mxir::casedb
