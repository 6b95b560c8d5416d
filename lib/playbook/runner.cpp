#include "playbook/runner.h"

#include <algorithm>
#include <random>

#include <signal.h>
#include <unistd.h>

#include "casedb/asset_store.h"
#include "casedb/case_meta.h"
#include "casedb/finding_store.h"
#include "casedb/playbook_store.h"
#include "core/file_util.h"
#include "core/ip_address.h"
#include "core/process_info.h"
#include "playbook/expr.h"
#include "playbook/render.h"
#include "playbook/runner_internal.h"

namespace mxir::playbook {
namespace internal {

namespace {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

bool ProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string NewRunId(Timestamp now) {
  std::string t = now.ToString();  // 2026-12-06T21:04:15.123456Z
  std::string compact;
  for (char ch : t.substr(0, 19))
    if (ch != '-' && ch != ':') compact += ch;
  std::random_device rd;
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return "run-" + compact + "-" + hex;
}

}  // namespace

// Checks and converts a typed value (answers and inputs).
Result<json> Coerce(const std::string& type, const std::vector<std::string>& choices,
                    const std::string& text) {
  std::string t = text;
  if (type == "bool") {
    std::string l;
    for (char ch : t) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (l == "yes" || l == "y" || l == "true") return json(true);
    if (l == "no" || l == "n" || l == "false") return json(false);
    return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not yes or no");
  }
  if (type == "int") {
    char* end = nullptr;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || !end || *end)
      return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not a whole number");
    return json(v);
  }
  if (type == "choice" || !choices.empty()) {
    if (std::find(choices.begin(), choices.end(), t) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
      return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not one of: " + list);
    }
    return json(t);
  }
  if (type == "email" && (t.find('@') == std::string::npos || t.front() == '@' || t.back() == '@'))
    return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not a mail address");
  if ((type == "ip" || type == "ipv4" || type == "ipv6")) {
    auto ip = IpAddress::Parse(t);
    if (!ip) return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not an IP address");
    return json(ip->ToString());
  }
  if (type == "domain" && (t.empty() || t.find_first_of(" /@") != std::string::npos))
    return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not a domain name");
  return json(t);
}

Result<RunReport> Runner::Start(const Runbook& rb) {
  MXIR_RETURN_IF_ERROR(RefuseIfActive(""));
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
  MXIR_ASSIGN_OR_RETURN(ordered_json inputs, ResolveInputs());
  run_.inputs = inputs;
  MXIR_RETURN_IF_ERROR(store_.PutRun(run_));
  io_.Show("Runbook: " + rb.title + " (" + rb.id + " v" + std::to_string(rb.version) + ")\nRun " +
           run_.run_id + (o_.dry_run ? " — DRY RUN: nothing is changed" : "") + "\n\n" +
           rb.summary);
  return Walk();
}

Result<RunReport> Runner::Resume(const std::string& run_id) {
  MXIR_ASSIGN_OR_RETURN(PlaybookRun run, FindRun(run_id));
  run_ = run;
  if (run_.status == "completed" || run_.status == "stopped")
    return MakeError(ErrorCode::kInvalidInput, "run " + run_.run_id + " has ended (" + run_.status +
                                                   ", outcome '" + run_.outcome +
                                                   "'); start a new one with mxir playbook run");
  // Includes this run: its process may still be alive (then it is not interrupted).
  MXIR_RETURN_IF_ERROR(RefuseIfActive(""));
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

Status Runner::RefuseIfActive(const std::string& except) {
  MXIR_ASSIGN_OR_RETURN(auto runs, store_.ListRuns());
  for (const auto& r : runs) {
    if (r.run_id == except || r.status != "running") continue;
    if (r.host == HostName() && ProcessAlive(r.pid) && r.pid != ::getpid())
      return MakeError(ErrorCode::kBusy, "run " + r.run_id + " of " + r.runbook_id +
                                             " is in progress in process " + std::to_string(r.pid) +
                                             "; one run per case at a time");
  }
  return Status::Ok();
}

Result<PlaybookRun> Runner::FindRun(const std::string& run_id) {
  if (!run_id.empty()) {
    MXIR_ASSIGN_OR_RETURN(auto r, store_.GetRun(run_id));
    if (!r)
      return MakeError(ErrorCode::kNotFound, "no run '" + run_id +
                                                 "' in this case "
                                                 "(mxir playbook status lists them)");
    return *r;
  }
  MXIR_ASSIGN_OR_RETURN(auto runs, store_.ListRuns());
  for (auto it = runs.rbegin(); it != runs.rend(); ++it)
    if (it->status != "completed" && it->status != "stopped") return *it;
  return MakeError(ErrorCode::kNotFound,
                   "this case has no run to resume (every run has ended); start one with mxir "
                   "playbook run ID --case FILE");
}

Result<ordered_json> Runner::ResolveInputs() {
  ordered_json out = ordered_json::object();
  std::optional<ordered_json> finding;
  casedb::FindingStore fs(c_);
  MXIR_ASSIGN_OR_RETURN(auto findings, fs.List());
  const Finding* best = nullptr;
  for (const auto& f : findings) {
    if (!o_.finding_id.empty()) {
      if (f.id == o_.finding_id) best = &f;
      continue;
    }
    if (f.playbook != rb_.id) continue;
    if (!best || f.severity > best->severity ||
        (f.severity == best->severity && best->last_seen < f.last_seen))
      best = &f;
  }
  if (!o_.finding_id.empty() && !best)
    return MakeError(ErrorCode::kNotFound, "no finding '" + o_.finding_id + "' in the case");
  if (best) {
    finding = FindingToJson(*best);
    out["finding"] = best->id;
  }
  casedb::AssetStore assets(c_);
  MXIR_ASSIGN_OR_RETURN(auto all_assets, assets.List());
  casedb::CaseMeta meta(c_);
  MXIR_ASSIGN_OR_RETURN(std::string title, meta.Get("title"));
  auto from_case = [&](const std::string& from) -> std::optional<json> {
    if (from == "case.path") return json(c_.path());
    if (from == "case.title") return json(title);
    if (from.rfind("finding.", 0) == 0) {
      if (!finding) return std::nullopt;
      json cur = *finding;
      std::string rest = from.substr(8);
      size_t i = 0;
      while (i <= rest.size()) {
        size_t dot = rest.find('.', i);
        std::string k = rest.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
        if (!cur.is_object() || !cur.contains(k)) return std::nullopt;
        cur = cur[k];
        if (dot == std::string::npos) break;
        i = dot + 1;
      }
      if (cur.is_null() || (cur.is_string() && cur.get<std::string>().empty())) return std::nullopt;
      return cur;
    }
    static const std::map<std::string, casedb::AssetKind> kinds = {
        {"ip", casedb::AssetKind::kIp},
        {"domain", casedb::AssetKind::kDomain},
        {"account", casedb::AssetKind::kAccount},
        {"network", casedb::AssetKind::kNetwork}};
    std::string k = from.substr(5);
    bool many = !k.empty() && k.back() == 's';
    if (many) k.pop_back();
    auto it = kinds.find(k);
    if (it == kinds.end()) return std::nullopt;
    json list = json::array();
    for (const auto& a : all_assets)
      if (a.kind == it->second) list.push_back(a.value);
    if (list.empty()) return std::nullopt;
    if (many) return list;
    return list[0];
  };
  for (const auto& in : rb_.inputs) {
    std::optional<json> v;
    std::string how;
    auto given = o_.inputs.find(in.name);
    if (given != o_.inputs.end()) {
      auto c = Coerce(in.type, in.choices, given->second);
      if (!c.ok())
        return MakeError(ErrorCode::kInvalidInput, "--input " + in.name + ": " + c.error().message);
      v = *c;
    } else if (!in.from.empty()) {
      v = from_case(in.from);
      if (v && v->is_string()) {
        auto c = Coerce(in.type, in.choices, v->get<std::string>());
        if (!c.ok())
          return MakeError(ErrorCode::kInvalidInput, "input '" + in.name + "' from " + in.from +
                                                         ": " + c.error().message +
                                                         "; give --input " + in.name + "=VALUE");
        v = *c;
      }
    }
    if (!v) {
      if (in.required && !o_.dry_run)
        return MakeError(
            ErrorCode::kInvalidInput,
            "input '" + in.name + "' (" + in.describe + ") has no value" +
                (in.from.empty() ? std::string() : ": the case has nothing for " + in.from) +
                "; give it with --input " + in.name + "=VALUE");
      continue;
    }
    out[in.name] = *v;
  }
  for (const auto& given : o_.inputs) {
    const std::string& k = given.first;  // (clang 14 cannot capture a structured binding)
    bool known = std::any_of(rb_.inputs.begin(), rb_.inputs.end(),
                             [&](const Input& i) { return i.name == k; });
    if (!known)
      return MakeError(ErrorCode::kUsage,
                       "--input " + k + ": the runbook '" + rb_.id + "' has no input of that name");
  }
  return out;
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

using casedb::PlaybookStore;
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

Result<std::string> RunbookIdOfRun(casedb::CaseDb& c, const std::string& run_id) {
  PlaybookStore store(c);
  MXIR_ASSIGN_OR_RETURN(auto runs, store.ListRuns());
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    if (!run_id.empty() ? it->run_id == run_id
                        : (it->status != "completed" && it->status != "stopped"))
      return it->runbook_id;
  }
  return MakeError(ErrorCode::kNotFound,
                   run_id.empty() ? "this case has no run to resume (every run has ended)"
                                  : "no run '" + run_id + "' in this case");
}

}  // namespace mxir::playbook
