#include "casedb/dnsbl_store.h"

#include "core/json_text.h"

namespace mxir::casedb {

namespace {

constexpr const char* kDelistingColumns =
    "target, zone, list, state, first_listed, listed_since, last_listed, delisted_at, fixed_at, "
    "fix_note, requested_at, request_ref, request_how, relist_count, updated";

DelistingRow ReadDelisting(const Statement& st) {
  DelistingRow r;
  r.target = st.ColumnText(0);
  r.zone = st.ColumnText(1);
  r.list = st.ColumnText(2);
  r.state = st.ColumnText(3);
  r.first_listed = st.ColumnTime(4);
  r.listed_since = st.ColumnTime(5);
  r.last_listed = st.ColumnTime(6);
  r.delisted_at = st.ColumnTime(7);
  r.fixed_at = st.ColumnTime(8);
  r.fix_note = st.ColumnText(9);
  r.requested_at = st.ColumnTime(10);
  r.request_ref = st.ColumnText(11);
  r.request_how = st.ColumnText(12);
  r.relist_count = st.ColumnInt(13);
  r.updated = Timestamp::FromMicros(st.ColumnInt(14));
  return r;
}

}  // namespace

Status DnsblStore::AddCheck(const DnsblCheckRow& row) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "INSERT INTO dnsbl_checks (ts, target, zone, list, status, codes, "
                         "meaning, txt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  st.Bind(1, row.ts.micros())
      .Bind(2, row.target)
      .Bind(3, row.zone)
      .Bind(4, row.list)
      .Bind(5, row.status)
      .Bind(6, CompactJson(row.codes))
      .Bind(7, row.meaning)
      .Bind(8, CompactJson(row.txt));
  return st.Run();
}

Result<std::vector<DnsblCheckRow>> DnsblStore::ListChecks(std::optional<Timestamp> since,
                                                          std::optional<Timestamp> until) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "SELECT id, ts, target, zone, list, status, codes, meaning, txt FROM "
                         "dnsbl_checks WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id"));
  st.BindTimeRange(1, since, until);
  std::vector<DnsblCheckRow> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DnsblCheckRow r;
    r.id = st.ColumnInt(0);
    r.ts = Timestamp::FromMicros(st.ColumnInt(1));
    r.target = st.ColumnText(2);
    r.zone = st.ColumnText(3);
    r.list = st.ColumnText(4);
    r.status = st.ColumnText(5);
    r.codes = ParseJsonOr(st.ColumnText(6), nlohmann::ordered_json::array());
    r.meaning = st.ColumnText(7);
    r.txt = ParseJsonOr(st.ColumnText(8), nlohmann::ordered_json::array());
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<DelistingRow>> DnsblStore::GetDelisting(const std::string& target,
                                                             const std::string& zone) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(), std::string("SELECT ") + kDelistingColumns +
                                      " FROM delistings WHERE target = ?1 AND zone = ?2"));
  st.Bind(1, target).Bind(2, zone);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<DelistingRow>();
  return std::optional<DelistingRow>(ReadDelisting(st));
}

Status DnsblStore::PutDelisting(const DelistingRow& r) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(), std::string("INSERT OR REPLACE INTO delistings (") +
                                      kDelistingColumns +
                                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                      "?12, ?13, ?14, ?15)"));
  st.Bind(1, r.target)
      .Bind(2, r.zone)
      .Bind(3, r.list)
      .Bind(4, r.state)
      .Bind(5, r.first_listed)
      .Bind(6, r.listed_since)
      .Bind(7, r.last_listed)
      .Bind(8, r.delisted_at)
      .Bind(9, r.fixed_at)
      .Bind(10, r.fix_note)
      .Bind(11, r.requested_at)
      .Bind(12, r.request_ref)
      .Bind(13, r.request_how)
      .Bind(14, r.relist_count)
      .Bind(15, r.updated.micros());
  return st.Run();
}

Result<std::vector<DelistingRow>> DnsblStore::ListDelistings() {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), std::string("SELECT ") + kDelistingColumns +
                                                        " FROM delistings ORDER BY target, zone"));
  std::vector<DelistingRow> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadDelisting(st));
  }
  return out;
}

Status DnsblStore::AddDelistingEvent(const DelistingEventRow& row) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "INSERT INTO delisting_events (ts, target, zone, event, from_state, "
                         "to_state, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  st.Bind(1, row.ts.micros())
      .Bind(2, row.target)
      .Bind(3, row.zone)
      .Bind(4, row.event)
      .Bind(5, row.from_state)
      .Bind(6, row.to_state)
      .Bind(7, CompactJson(row.details));
  return st.Run();
}

Result<std::vector<DelistingEventRow>> DnsblStore::ListDelistingEvents(
    std::optional<Timestamp> since, std::optional<Timestamp> until) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "SELECT id, ts, target, zone, event, from_state, to_state, details FROM "
                         "delisting_events WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id"));
  st.BindTimeRange(1, since, until);
  std::vector<DelistingEventRow> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DelistingEventRow r;
    r.id = st.ColumnInt(0);
    r.ts = Timestamp::FromMicros(st.ColumnInt(1));
    r.target = st.ColumnText(2);
    r.zone = st.ColumnText(3);
    r.event = st.ColumnText(4);
    r.from_state = st.ColumnText(5);
    r.to_state = st.ColumnText(6);
    r.details = ParseJsonOr(st.ColumnText(7), nlohmann::ordered_json::object());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace mxir::casedb
