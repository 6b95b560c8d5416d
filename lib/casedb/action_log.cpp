#include "casedb/action_log.h"

#include "core/json_text.h"
#include "core/process_info.h"

namespace mxir::casedb {

Status ActionLog::Record(const std::string& tool, const std::string& target,
                         const std::string& action, const std::string& outcome,
                         const nlohmann::ordered_json& details) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "INSERT INTO actions (ts, tool, actor, target, action, outcome, details) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  st.Bind(1, c_.clock().Now().micros())
      .Bind(2, tool)
      .Bind(3, CurrentActor())
      .Bind(4, target)
      .Bind(5, action)
      .Bind(6, outcome)
      .Bind(7, CompactJson(details));
  return st.Run();
}

Status ActionLog::RecordMany(const std::vector<Row>& rows) {
  if (rows.empty()) return Status::Ok();
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(),
                         "INSERT INTO actions (ts, tool, actor, target, action, outcome, details) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  const std::string me = CurrentActor();
  for (const auto& a : rows) {
    st.Reset();
    st.Bind(1, a.ts.micros())
        .BindTextNoCopy(2, a.tool)
        .BindTextNoCopy(3, me)
        .BindTextNoCopy(4, a.target)
        .BindTextNoCopy(5, a.action)
        .BindTextNoCopy(6, a.outcome)
        .BindTextNoCopy(7, a.details_json);
    MXIR_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

Result<std::vector<Action>> ActionLog::List(std::optional<Timestamp> since,
                                            std::optional<Timestamp> until) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st, Statement::Prepare(
                        c_.db(),
                        "SELECT id, ts, tool, actor, target, action, outcome, details FROM actions "
                        "WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id"));
  st.BindTimeRange(1, since, until);
  std::vector<Action> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Action a;
    a.id = st.ColumnInt(0);
    a.ts = Timestamp::FromMicros(st.ColumnInt(1));
    a.tool = st.ColumnText(2);
    a.actor = st.ColumnText(3);
    a.target = st.ColumnText(4);
    a.action = st.ColumnText(5);
    a.outcome = st.ColumnText(6);
    a.details = ParseJsonOr(st.ColumnText(7), nlohmann::ordered_json::object());
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace mxir::casedb
