#include "casedb/finding_store.h"

namespace mxir::casedb {

Result<bool> FindingStore::Upsert(const Finding& f) {
  if (f.id.empty()) return MakeError(ErrorCode::kInternal, "a finding needs an id to be stored");
  MXIR_ASSIGN_OR_RETURN(Statement exists,
                        Statement::Prepare(c_.db(), "SELECT 1 FROM findings WHERE id = ?1"));
  exists.Bind(1, f.id);
  MXIR_ASSIGN_OR_RETURN(bool found, exists.Step());
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(
          c_.db(),
          "INSERT INTO findings (id, kind, severity, client_ip, user, first_seen, last_seen, "
          "created, updated, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) "
          "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, "
          "client_ip = excluded.client_ip, user = excluded.user, "
          "first_seen = min(first_seen, excluded.first_seen), "
          "last_seen = max(last_seen, excluded.last_seen), updated = excluded.updated, "
          "json = excluded.json"));
  st.Bind(1, f.id).Bind(2, f.kind).Bind(3, SeverityName(f.severity));
  st.BindTextOrNull(4, f.client_ip).BindTextOrNull(5, f.user);
  st.Bind(6, f.first_seen.micros())
      .Bind(7, f.last_seen.micros())
      .Bind(8, c_.clock().Now().micros())
      .Bind(9, FindingToJson(f).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  MXIR_RETURN_IF_ERROR(st.Run());
  return !found;
}

Result<std::vector<Finding>> FindingStore::List(std::optional<Timestamp> since,
                                                std::optional<Timestamp> until) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "SELECT json FROM findings WHERE last_seen >= ?1 AND first_seen < ?2 "
                         "ORDER BY first_seen, id"));
  st.BindTimeRange(1, since, until);
  std::vector<Finding> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    auto j = nlohmann::ordered_json::parse(st.ColumnText(0), nullptr, false);
    if (j.is_discarded()) return MakeError(ErrorCode::kCorrupt, "a stored finding is not JSON");
    MXIR_ASSIGN_OR_RETURN(Finding f, FindingFromJson(j));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace mxir::casedb
