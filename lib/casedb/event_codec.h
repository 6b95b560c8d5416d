// How an Event is kept in the case (schema 6): its identity key, and the compact form of the
// fields that have no column of their own.
//
// Identity (spec/events.md "Identity and provenance"): from the content, never from a hash of
// the whole input — for a log line, (RecordHash of the line, identical lines before it in the
// same input, index of the event in the line, kind); for a capture, the completing packet's time
// and connection (both addresses and ports), the event's index among that packet's events and
// its kind (so the same packets in two overlapping capture files give the same keys); for an
// event of neither (JSON Lines from elsewhere, events a parser held until the end of its input),
// the hash of its JSON without `origin`. 64 bits: a collision among 10 M events has a chance of
// about 3 in a million.
//
// The rest of the event: the columns hold ts, kind, source, protocol, session, both addresses
// and ports, user and origin; every other field is written by the Event JSON writer (so a field
// added to Event and to event_json.cpp is stored with no change here), then compacted: each
// top-level `,"name":` becomes one token naming an interned field name, and string values of
// fields that repeat (hosts, reply texts, mechanisms) become a token naming an interned string
// from the second time the writer meets the value (met once, it stays inline).
// Reading (RowDecoder, event_row_decoder.h) sets each member straight into the Event; DecodeRest
// rebuilds the JSON instead (for a rest kept whole, and as the reference the tests compare to).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace mxir::casedb {

// The event's 64-bit identity, as stored in events.key.
int64_t EventKey(const Event& e);

// The event's place in the identity index (events.loc; schema 8): with EventKey() it makes the
// identity (loc, key). From the same content as the key, so the same record always gets the same
// value: for a log line RecordLocality() of its bytes (origin.locality), for a packet or an event
// known by its content 1 + the seconds of the day of its ts (part of that content). Consecutive
// records have close values, so a batch inserts into a few pages of the index, not all of them.
int64_t EventLocality(const Event& e);

// Clears the fields that live in columns (what EncodeRest leaves out).
void ClearColumnFields(Event& e);

// The columns' fields of `e` removed, the rest as JSON: "" when nothing else is set, else the
// members after "kind" (each starting with ',') — or, when the writer's layout puts another
// member before "kind", the whole object (starting with '{').
void RestJson(const Event& columns_cleared, std::string& out);

class StringInterner;  // string_table.h
class StringCache;

// Writes the compact form of the rest: field names and repeating string values as tokens naming
// interned entries of the string tables.
// RestJson()'s output split into its top-level members, with the hashes the string tables
// need (StringInterner::Hash) — all of it work that needs no case, so a producer thread does it
// (EventWriter::PrepareEvent) and the thread that stores only looks the ids up.
struct RestMember {
  uint32_t name_pos = 0, name_len = 0;    // the field name, in `json`
  uint32_t value_pos = 0, value_len = 0;  // the value as written (a string with its quotes)
  uint64_t name_hash = 0;
  uint64_t text_hash = 0;  // a string value that may be interned: the hash of its text, else 0
};
struct SplitRest {
  enum class Layout : uint8_t { kEmpty, kMembers, kWhole, kMalformed };
  std::string json;
  std::vector<RestMember> members;  // kMembers
  Layout layout = Layout::kEmpty;
  // Fills members and layout from json.
  void Split();
};

// Writes the compact form of the rest: field names and repeating string values as tokens naming
// interned entries of the string tables.
class RestEncoder {
 public:
  explicit RestEncoder(StringInterner* strings) : strings_(strings) {}

  // `json` is RestJson()'s output; appends the stored form to `out` (empty: store NULL).
  Status Encode(std::string_view json, std::string& out);
  // The same from a split rest (`rest.json` as `json` above).
  Status Encode(const SplitRest& rest, std::string& out);

 private:
  struct Stats {
    int64_t seen = 0, fresh = 0;
  };
  Stats& StatsOf(int64_t field);
  bool Intern(int64_t field) {
    const Stats& st = StatsOf(field);
    return st.seen < 512 || st.fresh * 2 < st.seen;
  }

  StringInterner* strings_;
  std::vector<Stats> stats_;                         // by field id (ids are small and dense)
  std::unordered_map<int64_t, Stats> sparse_stats_;  // a field id too large for stats_
  int64_t max_id_ = 0;
  // The string values met and kept inline so far, by hash, with how often (a slot per hash's
  // low bits; a newer value takes the slot): a value is interned the third time it is met
  // (event_codec.cpp, kSightsToIntern), so the many values that never repeat or repeat once (a
  // reply text with a queue id, say) cost no row of `strings` and no entry of its index.
  struct Met {
    uint64_t hash = 0;
    uint32_t sights = 0;
  };
  std::vector<Met> met_;
  SplitRest scratch_;
};

// Rebuilds the JSON of the rest into `json`: a whole object to parse (its ts is always
// 1970-01-01T00:00:00Z; the row's ts column gives the event's time).
Status DecodeRest(std::string_view blob, EventKind kind, StringCache& cache, std::string& json);

}  // namespace mxir::casedb
