// libFuzzer target: arbitrary bytes as the stored rest of an event (a case file may be damaged)
// through RowDecoder, against a small in-memory strings table. Must never crash, hang or leak;
// and whatever the member-by-member path takes, the JSON path (DecodeRest + EventReader) must
// take too, giving the same event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "casedb/event_codec.h"
#include "casedb/event_row_decoder.h"
#include "casedb/sqlite.h"
#include "casedb/string_table.h"
#include "core/event_json.h"

namespace {

mxir::casedb::Database* Db() {
  static std::optional<mxir::casedb::Database> db = [] {
    auto d = mxir::casedb::Database::Open(":memory:");
    if (!d.ok()) std::abort();
    const char* sql =
        "CREATE TABLE strings (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);"
        "CREATE TABLE event_fields (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
        "INSERT INTO event_fields (id, name) VALUES (1, 'outcome'), (2, 'code'), (3, 'esmtp'),"
        " (4, 'recipients'), (5, 'duration_s'), (6, 'parameters'), (7, 'asn'), (8, 'text'),"
        " (9, 'ts'), (10, 'kind'), (11, 'session'), (12, 'nonesuch'), (200, 'size');"
        "INSERT INTO strings (id, value) VALUES (1, 'success'), (2, 'a\\\"b'), (3, 'x\\\\'),"
        " (4, '535'), (5, 'true'), (6, ''), (300, 'mx1');";
    if (!d->Exec(sql).ok()) std::abort();
    return std::optional<mxir::casedb::Database>(std::move(*d));
  }();
  return &*db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static mxir::casedb::RowDecoder decoder(*Db());
  static mxir::casedb::StringCache cache(*Db());
  static mxir::EventReader reader;
  static std::string json;
  const auto kind = static_cast<mxir::EventKind>(data[0] % mxir::EventKindCount());
  std::string_view blob(reinterpret_cast<const char*>(data) + 1, size - 1);
  mxir::Event a;
  bool member_ok = decoder.DecodeRestInto(blob, kind, &a).ok();
  mxir::Event b;
  bool json_ok =
      mxir::casedb::DecodeRest(blob, kind, cache, json).ok() && reader.Parse(json, &b).ok();
  if (member_ok && !json_ok) std::abort();  // the member path took what JSON refuses
  if (member_ok) {
    a.ts = b.ts;
    a.kind = b.kind;
    if (mxir::EventToJson(a) != mxir::EventToJson(b)) std::abort();
  }
  return 0;
}
