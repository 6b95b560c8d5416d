#include "casedb/source_store.h"

namespace mxir::casedb {

Status SourceStore::Add(const SourceRecord& s) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "INSERT INTO sources (path, size, sha256, first_seen, last_seen, records, "
                         "events, stored, tool, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, s.path);
  if (s.size >= 0) {
    st.Bind(2, s.size);
  } else {
    st.BindNull(2);
  }
  st.BindTextOrNull(3, s.sha256);
  if (s.first_seen) {
    st.Bind(4, s.first_seen->micros());
  } else {
    st.BindNull(4);
  }
  if (s.last_seen) {
    st.Bind(5, s.last_seen->micros());
  } else {
    st.BindNull(5);
  }
  st.Bind(6, s.records).Bind(7, s.events).Bind(8, s.stored).Bind(9, s.tool);
  st.Bind(10, s.read_at.micros());
  return st.Run();
}

Result<std::vector<SourceRecord>> SourceStore::List() {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "SELECT id, path, size, sha256, first_seen, last_seen, records, events, "
                         "stored, tool, read_at FROM sources ORDER BY id"));
  std::vector<SourceRecord> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    SourceRecord s;
    s.id = st.ColumnInt(0);
    s.path = st.ColumnText(1);
    s.size = st.ColumnIsNull(2) ? -1 : st.ColumnInt(2);
    s.sha256 = st.ColumnIsNull(3) ? "" : st.ColumnText(3);
    if (!st.ColumnIsNull(4)) s.first_seen = Timestamp::FromMicros(st.ColumnInt(4));
    if (!st.ColumnIsNull(5)) s.last_seen = Timestamp::FromMicros(st.ColumnInt(5));
    s.records = st.ColumnInt(6);
    s.events = st.ColumnInt(7);
    s.stored = st.ColumnInt(8);
    s.tool = st.ColumnText(9);
    s.read_at = Timestamp::FromMicros(st.ColumnInt(10));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace mxir::casedb
