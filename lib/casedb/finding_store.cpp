#include "casedb/finding_store.h"

#include "core/json_text.h"
#include "core/process_info.h"

namespace mxir::casedb {

Result<bool> FindingStore::Upsert(const Finding& f) {
  MXIR_ASSIGN_OR_RETURN(UpsertResult r, UpsertDetailed(f));
  return r.added;
}

Result<UpsertResult> FindingStore::UpsertDetailed(const Finding& f) {
  if (f.id.empty()) return MakeError(ErrorCode::kInternal, "a finding needs an id to be stored");
  UpsertResult r;
  if (!exists_) {
    MXIR_ASSIGN_OR_RETURN(
        exists_,
        Statement::Prepare(c_.db(), "SELECT severity, status FROM findings WHERE id = ?1"));
  }
  Statement& exists = *exists_;
  exists.Reset();
  exists.Bind(1, f.id);
  MXIR_ASSIGN_OR_RETURN(bool found, exists.Step());
  r.added = !found;
  std::string old_status;
  if (found) {
    r.old_severity = exists.ColumnText(0);
    old_status = exists.ColumnText(1);
  }
  // A resolved finding the events support again is active again; a dismissed one stays
  // dismissed (a person decided), its data updated.
  exists.Reset();
  if (!upsert_) {
    MXIR_ASSIGN_OR_RETURN(
        upsert_,
        Statement::Prepare(
            c_.db(),
            "INSERT INTO findings (id, kind, severity, client_ip, user, first_seen, last_seen, "
            "created, updated, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) "
            "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, "
            "client_ip = excluded.client_ip, user = excluded.user, "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen), updated = excluded.updated, "
            "json = excluded.json, "
            "status_why = CASE WHEN status = 'resolved' "
            "  THEN 'supported again by a later detect run' ELSE status_why END, "
            "status_at = CASE WHEN status = 'resolved' THEN excluded.updated ELSE status_at END, "
            "status_by = CASE WHEN status = 'resolved' THEN ?10 ELSE status_by END, "
            "status = CASE WHEN status = 'resolved' THEN 'active' ELSE status END"));
  }
  Statement& st = *upsert_;
  st.Reset();
  st.Bind(1, f.id).Bind(2, f.kind).Bind(3, SeverityName(f.severity));
  st.BindTextOrNull(4, f.client_ip).BindTextOrNull(5, f.user);
  st.Bind(6, f.first_seen.micros())
      .Bind(7, f.last_seen.micros())
      .Bind(8, c_.clock().Now().micros())
      .Bind(9, CompactJson(FindingToJson(f)))
      .Bind(10, CurrentActor());
  MXIR_RETURN_IF_ERROR(st.Run());
  r.reactivated = old_status == kFindingResolved;
  r.status = old_status.empty() || r.reactivated ? kFindingActive : old_status;
  return r;
}

Result<std::vector<Finding>> FindingStore::List(std::optional<Timestamp> since,
                                                std::optional<Timestamp> until) {
  MXIR_ASSIGN_OR_RETURN(std::vector<StoredFinding> stored, ListStored(since, until));
  std::vector<Finding> out;
  out.reserve(stored.size());
  for (auto& s : stored) out.push_back(std::move(s.finding));
  return out;
}

namespace {

constexpr const char* kStoredColumns =
    "SELECT json, status, status_why, status_by, status_at, created, updated FROM findings ";

Result<StoredFinding> ReadStored(const Statement& st) {
  auto j = nlohmann::ordered_json::parse(st.ColumnText(0), nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorrupt, "a stored finding is not JSON");
  StoredFinding s;
  MXIR_ASSIGN_OR_RETURN(s.finding, FindingFromJson(j));
  s.status = st.ColumnText(1);
  s.status_why = st.ColumnText(2);
  s.status_by = st.ColumnText(3);
  if (!st.ColumnIsNull(4)) s.status_at = Timestamp::FromMicros(st.ColumnInt(4));
  s.created = Timestamp::FromMicros(st.ColumnInt(5));
  s.updated = Timestamp::FromMicros(st.ColumnInt(6));
  return s;
}

}  // namespace

Result<std::vector<StoredFinding>> FindingStore::ListStored(std::optional<Timestamp> since,
                                                            std::optional<Timestamp> until) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), std::string(kStoredColumns) +
                                                        "WHERE last_seen >= ?1 AND first_seen < ?2 "
                                                        "ORDER BY first_seen, id"));
  st.BindTimeRange(1, since, until);
  std::vector<StoredFinding> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    MXIR_ASSIGN_OR_RETURN(StoredFinding s, ReadStored(st));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::optional<StoredFinding>> FindingStore::Get(const std::string& id) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), std::string(kStoredColumns) + "WHERE id = ?1"));
  st.Bind(1, id);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<StoredFinding>();
  MXIR_ASSIGN_OR_RETURN(StoredFinding s, ReadStored(st));
  return std::optional<StoredFinding>(std::move(s));
}

Result<std::unordered_map<std::string, std::string>> FindingStore::Statuses() {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), "SELECT id, status FROM findings"));
  std::unordered_map<std::string, std::string> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace(st.ColumnText(0), st.ColumnText(1));
  }
  return out;
}

Result<std::vector<std::string>> FindingStore::ResolveUnsupported(
    const std::set<std::string>& supported, const std::string& why, std::optional<Timestamp> since,
    std::optional<Timestamp> until) {
  // Only findings wholly inside the range the run saw can be judged by it.
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(),
                                           "SELECT id FROM findings WHERE status = 'active' AND "
                                           "first_seen >= ?1 AND last_seen < ?2 ORDER BY id"));
  st.BindTimeRange(1, since, until);
  std::vector<std::string> ids;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    std::string id = st.ColumnText(0);
    if (!supported.count(id)) ids.push_back(std::move(id));
  }
  for (const auto& id : ids) {
    MXIR_ASSIGN_OR_RETURN(bool ok, SetStatus(id, kFindingResolved, why));
    (void)ok;
  }
  return ids;
}

Result<bool> FindingStore::SetStatus(const std::string& id, const std::string& status,
                                     const std::string& why) {
  if (status != kFindingActive && status != kFindingResolved && status != kFindingDismissed) {
    return MakeError(ErrorCode::kUsage, "unknown finding status '" + status + "'");
  }
  if (!set_status_) {
    MXIR_ASSIGN_OR_RETURN(set_status_,
                          Statement::Prepare(c_.db(),
                                             "UPDATE findings SET status = ?2, status_why = ?3, "
                                             "status_at = ?4, status_by = ?5 WHERE id = ?1"));
  }
  Statement& st = *set_status_;
  st.Reset();
  st.Bind(1, id).Bind(2, status).Bind(3, why).Bind(4, c_.clock().Now().micros());
  st.Bind(5, CurrentActor());
  MXIR_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(c_.db().handle()) > 0;
}

}  // namespace mxir::casedb
