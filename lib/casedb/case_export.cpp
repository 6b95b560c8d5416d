#include "casedb/case_export.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/event_reader.h"
#include "casedb/schema.h"
#include "core/json_text.h"
#include "core/json_writer.h"

namespace mxir::casedb {

namespace {

bool IsJsonColumn(const std::string& name) {
  return name == "json" || name == "details" || name.ends_with("_json");
}

bool IsTimeColumn(const std::string& name) {
  return name == "ts" || name == "added" || name == "created" || name == "updated" ||
         name == "first_seen" || name == "last_seen" || name.ends_with("_at");
}

Status ExportTable(CaseDb& c, const std::string& table, std::string& buf, std::ostream& out) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st, Statement::Prepare(c.db(), "SELECT * FROM \"" + table + "\" ORDER BY rowid"));
  out << "[";
  bool first = true;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    buf.clear();
    JsonWriter w(buf);
    w.BeginObject();
    for (int i = 0; i < st.ColumnCount(); ++i) {
      std::string name = st.ColumnName(i);
      if (name == "key" && table == "events") continue;  // internal identity hash
      w.Key(name);
      switch (st.ColumnType(i)) {
        case SQLITE_NULL:
          w.Null();
          break;
        case SQLITE_INTEGER:
          if (IsTimeColumn(name)) {
            w.String(Timestamp::FromMicros(st.ColumnInt(i)).ToString());
          } else {
            w.Int(st.ColumnInt(i));
          }
          break;
        case SQLITE_FLOAT:
          w.Double(st.ColumnDouble(i));
          break;
        case SQLITE_BLOB:
          w.Null();
          break;
        default: {
          std::string text = st.ColumnText(i);
          nlohmann::ordered_json parsed;
          if (IsJsonColumn(name) && !text.empty() && (text[0] == '{' || text[0] == '[')) {
            // Stored by mxir as JSON, but a case file may come from anyone: only what parses
            // as one JSON value is exported as structure, written out again (never the stored
            // bytes, which could close this object and add others); anything else is a string.
            parsed = nlohmann::ordered_json::parse(text, nullptr, false);
          }
          if (parsed.is_object() || parsed.is_array()) {
            w.Raw(CompactJson(parsed));
          } else {
            w.String(text);
          }
        }
      }
    }
    w.EndObject();
    out << (first ? "\n    " : ",\n    ") << buf;
    first = false;
  }
  out << (first ? "]" : "\n  ]");
  return Status::Ok();
}

}  // namespace

Status ExportCaseJson(CaseDb& c, std::ostream& out) {
  MXIR_ASSIGN_OR_RETURN(
      Statement tables,
      Statement::Prepare(c.db(),
                         "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                         "'sqlite_%' ORDER BY CASE name WHEN 'case_meta' THEN 0 WHEN 'assets' "
                         "THEN 1 WHEN 'events' THEN 2 WHEN 'findings' THEN 3 WHEN 'actions' THEN 4 "
                         "ELSE 5 END, name"));
  std::vector<std::string> names;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, tables.Step());
    if (!row) break;
    std::string name = tables.ColumnText(0);
    // The events' interned strings and field names are part of their compact form, exported
    // inside each event.
    if (name == "strings" || name == "event_fields") continue;
    names.push_back(std::move(name));
  }
  MXIR_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(c.db()));
  out << "{\n  \"schema_version\": " << version;
  std::string buf;
  for (const auto& name : names) {
    buf.clear();
    AppendJsonString(buf, name == "case_meta" ? "case" : name);
    out << ",\n  " << buf << ": ";
    if (name == "case_meta") {
      // Key/value rows become one object.
      MXIR_ASSIGN_OR_RETURN(
          Statement st,
          Statement::Prepare(c.db(), "SELECT key, value FROM case_meta ORDER BY key"));
      std::string obj;
      JsonWriter w(obj);
      w.BeginObject();
      for (;;) {
        MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        w.Field(st.ColumnText(0), std::string_view(st.ColumnText(1)));
      }
      w.EndObject();
      out << obj;
      continue;
    }
    if (name == "events") {
      // Each event's row id and its JSON Lines form (spec/events.md) under "json", as before
      // schema 6, decoded from the compact columns.
      out << "[";
      bool first = true;
      MXIR_RETURN_IF_ERROR(ForEachEventJson(c, [&](int64_t id, const std::string& json) {
        out << (first ? "\n    " : ",\n    ") << "{\"id\":" << id << ",\"json\":" << json << "}";
        first = false;
      }));
      out << (first ? "]" : "\n  ]");
      continue;
    }
    MXIR_RETURN_IF_ERROR(ExportTable(c, name, buf, out));
  }
  out << "\n}\n";
  if (!out) return MakeError(ErrorCode::kIo, "writing the export failed");
  return Status::Ok();
}

}  // namespace mxir::casedb
