#include "casedb/playbook_store.h"

#include "core/json_text.h"

namespace mxir::casedb {

namespace {

using nlohmann::ordered_json;

constexpr const char* kRunColumns =
    "run_id, runbook_id, runbook_version, runbook_sha256, runbook_text, inputs, status, outcome, "
    "current_step, dry_run, started_at, updated_at, ended_at, started_by, host, pid, notes";

PlaybookRun ReadRun(const Statement& st) {
  PlaybookRun r;
  r.run_id = st.ColumnText(0);
  r.runbook_id = st.ColumnText(1);
  r.runbook_version = st.ColumnInt(2);
  r.runbook_sha256 = st.ColumnText(3);
  r.runbook_text = st.ColumnText(4);
  r.inputs = ParseJsonOr(st.ColumnText(5), ordered_json::object());
  r.status = st.ColumnText(6);
  r.outcome = st.ColumnText(7);
  r.current_step = st.ColumnText(8);
  r.dry_run = st.ColumnInt(9) != 0;
  r.started_at = Timestamp::FromMicros(st.ColumnInt(10));
  r.updated_at = Timestamp::FromMicros(st.ColumnInt(11));
  r.ended_at = st.ColumnTime(12);
  r.started_by = st.ColumnText(13);
  r.host = st.ColumnText(14);
  r.pid = st.ColumnInt(15);
  r.notes = ParseJsonOr(st.ColumnText(16), ordered_json::array());
  return r;
}

}  // namespace

ordered_json PlaybookRunToJson(const PlaybookRun& r, bool with_text) {
  ordered_json j{{"run_id", r.run_id},
                 {"runbook", r.runbook_id},
                 {"runbook_version", r.runbook_version},
                 {"runbook_sha256", r.runbook_sha256},
                 {"status", r.status},
                 {"outcome", r.outcome},
                 {"current_step", r.current_step},
                 {"dry_run", r.dry_run},
                 {"started_at", r.started_at.ToString()},
                 {"updated_at", r.updated_at.ToString()},
                 {"ended_at", r.ended_at ? ordered_json(r.ended_at->ToString()) : nullptr},
                 {"started_by", r.started_by},
                 {"host", r.host},
                 {"pid", r.pid},
                 {"inputs", r.inputs},
                 {"notes", r.notes}};
  if (with_text) j["runbook_text"] = r.runbook_text;
  return j;
}

ordered_json PlaybookStepToJson(const PlaybookStepRecord& s) {
  ordered_json j{{"key", s.key},
                 {"id", s.step_id},
                 {"type", s.type},
                 {"state", s.state},
                 {"reason", s.reason},
                 {"started_at", s.started_at ? ordered_json(s.started_at->ToString()) : nullptr},
                 {"ended_at", s.ended_at ? ordered_json(s.ended_at->ToString()) : nullptr},
                 {"command", s.command},
                 {"exit_code", s.exit_code ? ordered_json(*s.exit_code) : nullptr},
                 {"summary", s.summary},
                 {"answer", s.answer},
                 {"outputs", s.outputs},
                 {"attempts", s.attempts}};
  if (!s.idempotency_key.empty()) j["idempotency_key"] = s.idempotency_key;
  if (!s.stdout_sha256.empty()) j["stdout_sha256"] = s.stdout_sha256;
  if (!s.answered_by.empty()) j["answered_by"] = s.answered_by;
  if (!s.approved_by.empty()) {
    j["approved_by"] = s.approved_by;
    j["approval_text"] = s.approval_text;
    j["unlocks"] = s.unlocks;
  }
  if (s.next_due_at) j["next_due_at"] = s.next_due_at->ToString();
  return j;
}

Status PlaybookStore::PutRun(const PlaybookRun& r) {
  Transaction tx(c_.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c_.db(), std::string("INSERT OR REPLACE INTO playbook_runs (") +
                                      kRunColumns +
                                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                      "?12, ?13, ?14, ?15, ?16, ?17)"));
  st.Bind(1, r.run_id)
      .Bind(2, r.runbook_id)
      .Bind(3, r.runbook_version)
      .Bind(4, r.runbook_sha256)
      .Bind(5, r.runbook_text)
      .Bind(6, CompactJson(r.inputs))
      .Bind(7, r.status)
      .Bind(8, r.outcome)
      .Bind(9, r.current_step)
      .Bind(10, static_cast<int64_t>(r.dry_run ? 1 : 0))
      .Bind(11, r.started_at.micros())
      .Bind(12, r.updated_at.micros());
  st.Bind(13, r.ended_at);
  st.Bind(14, r.started_by).Bind(15, r.host).Bind(16, r.pid).Bind(17, CompactJson(r.notes));
  MXIR_RETURN_IF_ERROR(st.Run());
  return tx.Commit();
}

Result<std::optional<PlaybookRun>> PlaybookStore::GetRun(const std::string& run_id) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), std::string("SELECT ") + kRunColumns +
                                                        " FROM playbook_runs WHERE run_id = ?1"));
  st.Bind(1, run_id);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<PlaybookRun>();
  return std::optional<PlaybookRun>(ReadRun(st));
}

Result<std::vector<PlaybookRun>> PlaybookStore::ListRuns() {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), std::string("SELECT ") + kRunColumns +
                                                        " FROM playbook_runs ORDER BY started_at, "
                                                        "rowid"));
  std::vector<PlaybookRun> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadRun(st));
  }
  return out;
}

Status PlaybookStore::PutStep(const PlaybookStepRecord& s) {
  Transaction tx(c_.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(
          c_.db(),
          "INSERT OR REPLACE INTO playbook_steps (run_id, key, step_id, type, seq, state, reason, "
          "started_at, ended_at, command, idempotency_key, exit_code, summary, stdout_sha256, "
          "answer, answered_by, outputs, approved_by, approval_text, unlocks, next_due_at, "
          "attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
          "?16, ?17, ?18, ?19, ?20, ?21, ?22)"));
  st.Bind(1, s.run_id)
      .Bind(2, s.key)
      .Bind(3, s.step_id)
      .Bind(4, s.type)
      .Bind(5, s.seq)
      .Bind(6, s.state)
      .Bind(7, s.reason);
  st.Bind(8, s.started_at);
  st.Bind(9, s.ended_at);
  st.Bind(10, s.command.is_null() ? std::string() : CompactJson(s.command))
      .Bind(11, s.idempotency_key);
  st.Bind(12, s.exit_code);
  st.Bind(13, s.summary).Bind(14, s.stdout_sha256);
  if (s.answer.is_null())
    st.BindNull(15);
  else
    st.Bind(15, CompactJson(s.answer));
  st.Bind(16, s.answered_by)
      .Bind(17, CompactJson(s.outputs))
      .Bind(18, s.approved_by)
      .Bind(19, s.approval_text)
      .Bind(20, CompactJson(s.unlocks));
  st.Bind(21, s.next_due_at);
  st.Bind(22, s.attempts);
  MXIR_RETURN_IF_ERROR(st.Run());
  return tx.Commit();
}

Result<std::vector<PlaybookStepRecord>> PlaybookStore::ListSteps(const std::string& run_id) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(
          c_.db(),
          "SELECT run_id, key, step_id, type, seq, state, reason, started_at, ended_at, command, "
          "idempotency_key, exit_code, summary, stdout_sha256, answer, answered_by, outputs, "
          "approved_by, approval_text, unlocks, next_due_at, attempts FROM playbook_steps "
          "WHERE run_id = ?1 ORDER BY seq"));
  st.Bind(1, run_id);
  std::vector<PlaybookStepRecord> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    PlaybookStepRecord s;
    s.run_id = st.ColumnText(0);
    s.key = st.ColumnText(1);
    s.step_id = st.ColumnText(2);
    s.type = st.ColumnText(3);
    s.seq = st.ColumnInt(4);
    s.state = st.ColumnText(5);
    s.reason = st.ColumnText(6);
    s.started_at = st.ColumnTime(7);
    s.ended_at = st.ColumnTime(8);
    s.command =
        st.ColumnText(9).empty() ? ordered_json(nullptr) : ParseJsonOr(st.ColumnText(9), nullptr);
    s.idempotency_key = st.ColumnText(10);
    if (!st.ColumnIsNull(11)) s.exit_code = st.ColumnInt(11);
    s.summary = st.ColumnText(12);
    s.stdout_sha256 = st.ColumnText(13);
    s.answer =
        st.ColumnIsNull(14) ? ordered_json(nullptr) : ParseJsonOr(st.ColumnText(14), nullptr);
    s.answered_by = st.ColumnText(15);
    s.outputs = ParseJsonOr(st.ColumnText(16), ordered_json::object());
    s.approved_by = st.ColumnText(17);
    s.approval_text = st.ColumnText(18);
    s.unlocks = ParseJsonOr(st.ColumnText(19), ordered_json::array());
    s.next_due_at = st.ColumnTime(20);
    s.attempts = st.ColumnInt(21);
    out.push_back(std::move(s));
  }
  return out;
}

Result<int64_t> PlaybookStore::NextSeq(const std::string& run_id) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st, Statement::Prepare(c_.db(),
                                       "SELECT COALESCE(MAX(seq), 0) + 1 FROM playbook_steps WHERE "
                                       "run_id = ?1"));
  st.Bind(1, run_id);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return st.ColumnInt(0);
}

}  // namespace mxir::casedb
