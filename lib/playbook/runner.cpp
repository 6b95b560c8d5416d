#include "playbook/runner.h"

#include <algorithm>

#include <unistd.h>

#include "casedb/case_meta.h"
#include "casedb/playbook_store.h"
#include "core/file_util.h"
#include "core/process_info.h"
#include "playbook/expr.h"
#include "playbook/render.h"
#include "playbook/runner_internal.h"

namespace mxir::playbook {
namespace internal {

Result<RunReport> Runner::Start(const Runbook& rb) {
  MXIR_RETURN_IF_ERROR(RefuseIfActive(store_, ""));
  rb_ = rb;
  Timestamp now = c_.clock().Now();
  run_.run_id = NewRunId(now);
  run_.runbook_id = rb.id;
  run_.runbook_version = rb.version;
  run_.runbook_sha256 = rb.sha256;
  run_.runbook_text = rb.text;
  run_.dry_run = o_.dry_run;
  run_.started_at = run_.updated_at = now;
  run_.started_by = CurrentActor();
  run_.host = HostName();
  run_.pid = ::getpid();
  MXIR_ASSIGN_OR_RETURN(ordered_json inputs, ResolveInputs(c_, rb_, o_));
  run_.inputs = inputs;
  MXIR_RETURN_IF_ERROR(store_.PutRun(run_));
  io_.Show("Runbook: " + rb.title + " (" + rb.id + " v" + std::to_string(rb.version) + ")\nRun " +
           run_.run_id + (o_.dry_run ? " — DRY RUN: nothing is changed" : "") + "\n\n" +
           rb.summary);
  return Walk();
}

Result<RunReport> Runner::Resume(const std::string& run_id) {
  MXIR_ASSIGN_OR_RETURN(PlaybookRun run, FindRun(store_, run_id));
  run_ = run;
  if (run_.status == "completed" || run_.status == "stopped")
    return MakeError(ErrorCode::kInvalidInput, "run " + run_.run_id + " has ended (" + run_.status +
                                                   ", outcome '" + run_.outcome +
                                                   "'); start a new one with mxir playbook run");
  // Includes this run: its process may still be alive (then it is not interrupted).
  MXIR_RETURN_IF_ERROR(RefuseIfActive(store_, ""));
  Timestamp now = c_.clock().Now();
  if (o_.current_text && Sha256Hex(*o_.current_text) != run_.runbook_sha256) {
    std::string now_sha = Sha256Hex(*o_.current_text);
    if (!o_.accept_changed)
      return MakeError(ErrorCode::kInvalidInput,
                       "the runbook '" + run_.runbook_id + "' changed since run " + run_.run_id +
                           " started (sha256 " + run_.runbook_sha256.substr(0, 12) + " -> " +
                           now_sha.substr(0, 12) +
                           "); read the change, then resume with --accept-changed-runbook to "
                           "continue with the new text (recorded), or finish with the old one "
                           "by restoring the file");
    LintResult lint;
    MXIR_ASSIGN_OR_RETURN(
        Runbook fresh, LoadRunbook(run_.runbook_id + ".yaml (current)", *o_.current_text, &lint));
    run_.notes.push_back({{"at", now.ToString()},
                          {"by", CurrentActor()},
                          {"what", "accepted changed runbook"},
                          {"from_sha256", run_.runbook_sha256},
                          {"to_sha256", fresh.sha256},
                          {"from_version", run_.runbook_version},
                          {"to_version", fresh.version}});
    run_.runbook_text = fresh.text;
    run_.runbook_sha256 = fresh.sha256;
    run_.runbook_version = fresh.version;
  }
  LintResult lint;
  MXIR_ASSIGN_OR_RETURN(rb_,
                        LoadRunbook(run_.runbook_id + " (as stored in run " + run_.run_id + ")",
                                    run_.runbook_text, &lint));
  MXIR_ASSIGN_OR_RETURN(auto steps, store_.ListSteps(run_.run_id));
  bool died = run_.status == "running";
  for (auto& s : steps) {
    if (s.state == "running") {
      s.state = "unknown";
      s.reason = "was running when run " + run_.run_id + " stopped (process " +
                 std::to_string(run_.pid) + " on " + run_.host + " ended)";
      MXIR_RETURN_IF_ERROR(store_.PutStep(s));
      died = true;
    }
  }
  if (died)
    run_.notes.push_back({{"at", now.ToString()},
                          {"by", CurrentActor()},
                          {"what", "resumed after an interruption"}});
  run_.status = "running";
  run_.pid = ::getpid();
  run_.host = HostName();
  run_.updated_at = now;
  MXIR_RETURN_IF_ERROR(store_.PutRun(run_));
  io_.Show("Resuming run " + run_.run_id + " of " + rb_.title + " (" + rb_.id + ")" +
           (run_.dry_run ? " — DRY RUN" : ""));
  return Walk();
}

std::optional<json> Runner::LookupVar(const std::string& name) const {
  auto it = vars_.find(name);
  if (it != vars_.end()) return it->second;
  return std::nullopt;
}

Lookup Runner::MakeLookup(const std::map<std::string, json>& local) const {
  return [this, local](const std::string& n) -> std::optional<json> {
    auto it = local.find(n);
    if (it != local.end()) return it->second;
    return LookupVar(n);
  };
}

Result<RunReport> Runner::Walk() {
  vars_.clear();
  vars_["run.id"] = run_.run_id;
  vars_["case.path"] = c_.path();
  casedb::CaseMeta meta(c_);
  MXIR_ASSIGN_OR_RETURN(std::string title, meta.Get("title"));
  vars_["case.title"] = title;
  for (const auto& [k, v] : rb_.vars) vars_[k] = v;
  for (const auto& in : rb_.inputs) vars_[in.name] = nullptr;  // declared, not (yet) known
  for (auto it = run_.inputs.begin(); it != run_.inputs.end(); ++it)
    if (it.key() != "finding") vars_[it.key()] = json(it.value());
  MXIR_ASSIGN_OR_RETURN(auto steps, store_.ListSteps(run_.run_id));
  for (auto& s : steps) {
    seq_ = std::max(seq_, s.seq);
    recs_[s.key] = s;
  }
  auto flow = List(rb_.steps, "", false);
  if (!flow.ok()) {
    run_.status = "failed";
    run_.outcome = "error";
    run_.updated_at = c_.clock().Now();
    (void)store_.PutRun(run_);
    return flow.error();
  }
  RunReport rep;
  rep.run_id = run_.run_id;
  Timestamp now = c_.clock().Now();
  run_.updated_at = now;
  switch (flow->kind) {
    case Flow::kNext:
    case Flow::kEnded:
      run_.status = "completed";
      run_.outcome = flow->kind == Flow::kNext ? "completed" : flow->outcome;
      run_.ended_at = now;
      rep.exit_code = kRunCompleted;
      break;
    case Flow::kStopped:
      run_.status = "stopped";
      run_.outcome = flow->outcome;
      run_.ended_at = now;
      rep.exit_code = kRunFailed;
      break;
    case Flow::kFailed:
      run_.status = "failed";
      run_.outcome = "failed";
      rep.exit_code = kRunFailed;
      break;
    case Flow::kWaitInput:
      run_.status = "waiting";
      rep.exit_code = kRunWaiting;
      break;
    case Flow::kWaitTime:
      run_.status = "waiting";
      rep.exit_code = kRunWaitingTime;
      break;
  }
  MXIR_RETURN_IF_ERROR(store_.PutRun(run_));
  rep.status = run_.status;
  rep.outcome = run_.outcome;
  rep.message = flow->message;
  std::string tail = "\nRun " + run_.run_id + ": " + run_.status +
                     (run_.outcome.empty() ? "" : " (outcome: " + run_.outcome + ")");
  if (!flow->message.empty()) tail += "\n" + flow->message;
  io_.Show(tail);
  return rep;
}

PlaybookStepRecord& Runner::Rec(const Step& s, const std::string& key) {
  auto it = recs_.find(key);
  if (it != recs_.end()) return it->second;
  PlaybookStepRecord r;
  r.run_id = run_.run_id;
  r.key = key;
  r.step_id = s.id;
  r.type = StepTypeName(s.type);
  r.seq = ++seq_;
  r.attempts = 0;
  return recs_.emplace(key, std::move(r)).first->second;
}

Status Runner::Put(PlaybookStepRecord& r, const std::string& state, const std::string& reason) {
  r.state = state;
  r.reason = reason;
  Timestamp now = c_.clock().Now();
  if (!r.started_at) r.started_at = now;
  if (state != "running" && state != "waiting") r.ended_at = now;
  run_.current_step = r.key;
  run_.updated_at = now;
  MXIR_RETURN_IF_ERROR(store_.PutStep(r));
  return store_.PutRun(run_);
}

bool Runner::Finished(const std::string& key) const {
  auto it = recs_.find(key);
  return it != recs_.end() && (it->second.state == "done" || it->second.state == "skipped");
}

void Runner::Restore(const Step& s, const PlaybookStepRecord& r) {
  if (s.type == StepType::kRun)
    for (auto it = r.outputs.begin(); it != r.outputs.end(); ++it) {
      vars_[it.key()] = json(it.value());
      vars_["steps." + s.id + "." + it.key()] = json(it.value());
    }
  if ((s.type == StepType::kAsk || s.type == StepType::kCheck) && !s.save.empty() &&
      !r.answer.is_null())
    vars_[s.save] = json(r.answer);
}

std::string Runner::Header(const Step& s) {
  std::string h = "\n== " + std::string(StepTypeName(s.type)) + " " + s.id;
  if (!s.title.empty()) h += ": " + Text(s.title);
  if (!s.explain.empty()) h += "\n" + Text(s.explain);
  return h;
}

std::string Runner::Text(const std::string& t) {
  auto r = RenderText(t, MakeLookup(), /*keep_unknown=*/true);
  return r.ok() ? *r : t;
}

Result<Flow> Runner::List(const std::vector<Step>& steps, const std::string& prefix,
                          bool dry_branch) {
  for (const auto& s : steps) {
    MXIR_ASSIGN_OR_RETURN(Flow f, One(s, prefix + s.id, prefix, dry_branch));
    if (f.kind != Flow::kNext) return f;
  }
  return Flow{};
}

Result<Flow> Runner::One(const Step& s, const std::string& key, const std::string& prefix,
                         bool dry_branch) {
  bool container =
      s.type == StepType::kIf || s.type == StepType::kSwitch || s.type == StepType::kRepeat;
  if (Finished(key) && !container) {
    const auto& r = recs_[key];
    Restore(s, r);
    if (s.type == StepType::kEnd && r.state == "done") return Flow{Flow::kEnded, s.outcome, ""};
    return Flow{};
  }
  if (Finished(key) && recs_[key].reason.rfind("condition '", 0) == 0) return Flow{};
  if (!s.when.empty() && !Finished(key)) {
    auto v = Evaluate(s.when, MakeLookup());
    if (v.ok() && !Truthy(*v)) {
      auto& r = Rec(s, key);
      MXIR_RETURN_IF_ERROR(Put(r, "skipped", "condition '" + s.when + "' is false"));
      io_.Show(Header(s) + "\n(skipped: " + s.when + " is false)");
      return Flow{};
    }
    if (!v.ok() && !(o_.dry_run && v.error().code == ErrorCode::kNotFound))
      return Fail(s, key, "condition '" + s.when + "': " + v.error().message);
  }
  switch (s.type) {
    case StepType::kSay: {
      io_.Show(Header(s) + "\n" + Text(s.text));
      auto& r = Rec(s, key);
      r.summary = "shown";
      MXIR_RETURN_IF_ERROR(Put(r, "done", ""));
      return Flow{};
    }
    case StepType::kRun:
      return RunStep(s, key);
    case StepType::kAsk:
    case StepType::kCheck:
      return AskStep(s, key);
    case StepType::kGate:
      return GateStep(s, key);
    case StepType::kIf:
      return IfStep(s, key, prefix, dry_branch);
    case StepType::kSwitch:
      return SwitchStep(s, key, prefix, dry_branch);
    case StepType::kRepeat:
      return RepeatStep(s, key, prefix, dry_branch);
    case StepType::kEnd: {
      auto& r = Rec(s, key);
      r.summary = "outcome: " + s.outcome;
      if (dry_branch) {
        MXIR_RETURN_IF_ERROR(
            Put(r, "skipped", "dry run: would end here with outcome '" + s.outcome + "'"));
        io_.Show(Header(s) + "\n(dry run: this branch would end with outcome " + s.outcome + ")");
        return Flow{};
      }
      io_.Show(Header(s) + (s.text.empty() ? "" : "\n" + Text(s.text)) + "\nOutcome: " + s.outcome);
      MXIR_RETURN_IF_ERROR(Put(r, "done", ""));
      return Flow{Flow::kEnded, s.outcome, ""};
    }
  }
  return Flow{};
}

Result<Flow> Runner::Fail(const Step& s, const std::string& key, const std::string& why) {
  auto& r = Rec(s, key);
  r.summary = why;
  MXIR_RETURN_IF_ERROR(Put(r, "failed", why));
  io_.Show("FAILED: " + why);
  if (!s.on_failure_stop.empty())
    return Flow{Flow::kStopped, s.on_failure_stop, "step '" + key + "' failed: " + why};
  return Flow{Flow::kFailed, "",
              "step '" + key + "' failed: " + why +
                  "\nFix the cause, then continue with mxir playbook resume "
                  "(the failed step is tried again)."};
}

}  // namespace internal

using internal::Runner;

Result<RunReport> StartRun(casedb::CaseDb& c, const Runbook& rb, const RunOptions& o,
                           Interaction& io, ProcessRunner& proc) {
  Runner r(c, o, io, proc);
  return r.Start(rb);
}

Result<RunReport> ResumeRun(casedb::CaseDb& c, const std::string& run_id, const RunOptions& o,
                            Interaction& io, ProcessRunner& proc) {
  Runner r(c, o, io, proc);
  return r.Resume(run_id);
}

}  // namespace mxir::playbook
