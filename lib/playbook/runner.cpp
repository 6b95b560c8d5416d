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

namespace mxir::playbook {

namespace {

using casedb::PlaybookRun;
using casedb::PlaybookStepRecord;
using casedb::PlaybookStore;
using nlohmann::json;
using nlohmann::ordered_json;

constexpr int64_t kDefaultTimeoutS = 600;
constexpr int kMaxPromptTries = 5;

struct Flow {
  enum Kind { kNext, kEnded, kStopped, kFailed, kWaitInput, kWaitTime } kind = kNext;
  std::string outcome, message;
};

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

class Runner {
 public:
  Runner(casedb::CaseDb& c, const RunOptions& o, Interaction& io, ProcessRunner& proc)
      : c_(c), store_(c), o_(o), io_(io), proc_(proc) {}

  Result<RunReport> Start(const Runbook& rb) {
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

  Result<RunReport> Resume(const std::string& run_id) {
    MXIR_ASSIGN_OR_RETURN(PlaybookRun run, FindRun(run_id));
    run_ = run;
    if (run_.status == "completed" || run_.status == "stopped")
      return MakeError(ErrorCode::kInvalidInput, "run " + run_.run_id + " has ended (" +
                                                     run_.status + ", outcome '" + run_.outcome +
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

 private:
  Status RefuseIfActive(const std::string& except) {
    MXIR_ASSIGN_OR_RETURN(auto runs, store_.ListRuns());
    for (const auto& r : runs) {
      if (r.run_id == except || r.status != "running") continue;
      if (r.host == HostName() && ProcessAlive(r.pid) && r.pid != ::getpid())
        return MakeError(ErrorCode::kBusy,
                         "run " + r.run_id + " of " + r.runbook_id + " is in progress in process " +
                             std::to_string(r.pid) + "; one run per case at a time");
    }
    return Status::Ok();
  }

  Result<PlaybookRun> FindRun(const std::string& run_id) {
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

  Result<ordered_json> ResolveInputs() {
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
        if (cur.is_null() || (cur.is_string() && cur.get<std::string>().empty()))
          return std::nullopt;
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
          return MakeError(ErrorCode::kInvalidInput,
                           "--input " + in.name + ": " + c.error().message);
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
        return MakeError(ErrorCode::kUsage, "--input " + k + ": the runbook '" + rb_.id +
                                                "' has no input of that name");
    }
    return out;
  }

  // ---- variables ----
  std::optional<json> LookupVar(const std::string& name) const {
    auto it = vars_.find(name);
    if (it != vars_.end()) return it->second;
    return std::nullopt;
  }
  Lookup MakeLookup(const std::map<std::string, json>& local = {}) const {
    return [this, local](const std::string& n) -> std::optional<json> {
      auto it = local.find(n);
      if (it != local.end()) return it->second;
      return LookupVar(n);
    };
  }

  Result<RunReport> Walk() {
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

  // ---- records ----
  PlaybookStepRecord& Rec(const Step& s, const std::string& key) {
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
  Status Put(PlaybookStepRecord& r, const std::string& state, const std::string& reason) {
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
  bool Finished(const std::string& key) const {
    auto it = recs_.find(key);
    return it != recs_.end() && (it->second.state == "done" || it->second.state == "skipped");
  }

  void Restore(const Step& s, const PlaybookStepRecord& r) {
    if (s.type == StepType::kRun)
      for (auto it = r.outputs.begin(); it != r.outputs.end(); ++it) {
        vars_[it.key()] = json(it.value());
        vars_["steps." + s.id + "." + it.key()] = json(it.value());
      }
    if ((s.type == StepType::kAsk || s.type == StepType::kCheck) && !s.save.empty() &&
        !r.answer.is_null())
      vars_[s.save] = json(r.answer);
  }

  std::string Header(const Step& s) {
    std::string h = "\n== " + std::string(StepTypeName(s.type)) + " " + s.id;
    if (!s.title.empty()) h += ": " + Text(s.title);
    if (!s.explain.empty()) h += "\n" + Text(s.explain);
    return h;
  }
  std::string Text(const std::string& t) {
    auto r = RenderText(t, MakeLookup(), /*keep_unknown=*/true);
    return r.ok() ? *r : t;
  }

  // ---- the walk ----
  Result<Flow> List(const std::vector<Step>& steps, const std::string& prefix, bool dry_branch) {
    for (const auto& s : steps) {
      MXIR_ASSIGN_OR_RETURN(Flow f, One(s, prefix + s.id, prefix, dry_branch));
      if (f.kind != Flow::kNext) return f;
    }
    return Flow{};
  }

  Result<Flow> One(const Step& s, const std::string& key, const std::string& prefix,
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
        io_.Show(Header(s) + (s.text.empty() ? "" : "\n" + Text(s.text)) +
                 "\nOutcome: " + s.outcome);
        MXIR_RETURN_IF_ERROR(Put(r, "done", ""));
        return Flow{Flow::kEnded, s.outcome, ""};
      }
    }
    return Flow{};
  }

  Result<Flow> Fail(const Step& s, const std::string& key, const std::string& why) {
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

  // Runs argv, returning the result and the parsed JSON output (null if not JSON).
  struct Exec {
    ProcessResult res;
    json doc;
  };
  Result<Exec> Execute(const std::vector<std::string>& argv, int64_t timeout_s,
                       const std::string& idem) {
    std::vector<std::string> real = argv;
    real[0] = o_.mxir_path;
    std::map<std::string, std::string> env = {{"MXIR_PLAYBOOK_RUN", run_.run_id},
                                              {"MXIR_IDEMPOTENCY_KEY", idem}};
    MXIR_ASSIGN_OR_RETURN(ProcessResult res,
                          proc_.Run(real, timeout_s > 0 ? timeout_s : kDefaultTimeoutS, env));
    Exec e{res, nullptr};
    auto j = json::parse(res.out, nullptr, false);
    if (!j.is_discarded()) e.doc = j;
    return e;
  }

  static std::string ShortOutput(const std::string& out) {
    std::string s;
    int lines = 0;
    for (size_t i = 0; i < out.size() && lines < 12 && s.size() < 1500; ++i) {
      s += out[i];
      if (out[i] == '\n') ++lines;
    }
    if (s.size() < out.size()) s += "... (" + std::to_string(out.size()) + " bytes in all)";
    return s;
  }

  Result<Flow> RunStep(const Step& s, const std::string& key) {
    auto& r = Rec(s, key);
    auto argv = RenderArgv(s.run, MakeLookup({{"step.id", json(key)}}));
    std::vector<std::string> shown = s.run;
    if (argv.ok()) shown = *argv;
    std::string line = ShellQuoted(shown);
    io_.Show(Header(s) + "\n$ " + line);
    if (o_.dry_run) {
      r.command = argv.ok() ? ordered_json(*argv) : ordered_json(s.run);
      r.summary = s.mutates ? "would change: " + line : "would run: " + line;
      if (!argv.ok()) r.summary += " (" + argv.error().message + ")";
      MXIR_RETURN_IF_ERROR(Put(r, "skipped", "dry run: not run"));
      io_.Show("(dry run: not run)");
      return Flow{};
    }
    if (!argv.ok()) return Fail(s, key, "cannot build the command: " + argv.error().message);
    for (const auto& g : s.requires_gates) {
      bool ok = false;
      for (const auto& [k, rec] : recs_)
        if (rec.step_id == g && rec.state == "done" && !rec.approved_by.empty()) ok = true;
      if (!ok)
        return Fail(
            s, key,
            "refused: it needs the approval of gate '" + g + "', which was not given in this run");
    }
    if (r.state == "unknown") {
      MXIR_ASSIGN_OR_RETURN(std::optional<Flow> decided, ResolveUnknown(s, key, r, *argv));
      if (decided) return *decided;
    }
    // Record the intent first, committed, then run.
    r.command = *argv;
    r.idempotency_key = run_.run_id + "/" + key;
    r.attempts += 1;
    r.exit_code.reset();
    r.started_at = c_.clock().Now();
    r.ended_at.reset();
    r.summary.clear();
    MXIR_RETURN_IF_ERROR(Put(r, "running", s.mutates ? "changing" : "reading"));
    auto ex = Execute(*argv, s.timeout_s, r.idempotency_key);
    if (!ex.ok()) return Fail(s, key, ex.error().message);
    const ProcessResult& res = ex->res;
    r.exit_code = res.exit_code;
    r.stdout_sha256 = Sha256Hex(res.out);
    // Text output is shown as the tool printed it; JSON (for the runbook, not for people) as
    // its size and the values the step takes from it (below).
    if (!res.out.empty() && ex->doc.is_null()) io_.Show(ShortOutput(res.out));
    if (res.timed_out) return Fail(s, key, "did not finish within its timeout and was stopped");
    if (res.exit_code >= 2) {
      std::string err = res.err;
      while (!err.empty() && err.back() == '\n') err.pop_back();
      return Fail(s, key,
                  "the command failed (exit " + std::to_string(res.exit_code) + ")" +
                      (err.empty() ? "" : ": " + err.substr(0, 600)));
    }
    std::map<std::string, json> local = {{"exit_code", json(res.exit_code)}};
    ordered_json outs = ordered_json::object();
    if (!s.outputs.empty() && ex->doc.is_null() && !res.out.empty())
      return Fail(s, key, "the command's output is not JSON, so its outputs cannot be read");
    for (const auto& [name, path] : s.outputs) {
      MXIR_ASSIGN_OR_RETURN(json v, JsonPath(ex->doc, path));
      outs[name] = v;
      local[name] = v;
      vars_[name] = v;
      vars_["steps." + s.id + "." + name] = v;
    }
    r.outputs = outs;
    std::string summary;
    for (auto it = outs.begin(); it != outs.end(); ++it)
      summary += (summary.empty() ? "" : ", ") + it.key() + "=" + ValueText(json(it.value()));
    if (summary.empty() && ex->doc.is_array()) {
      summary = std::to_string(ex->doc.size()) + " record(s) in JSON";
    } else if (summary.empty()) {
      summary = res.out.substr(0, res.out.find('\n'));
      if (summary.size() > 200) summary = summary.substr(0, 200) + "...";
    }
    r.summary = "exit " + std::to_string(res.exit_code) + (summary.empty() ? "" : ": " + summary);
    if (!ex->doc.is_null())
      io_.Show("Result: " + (summary.empty() ? std::string("no output") : summary) + " (exit " +
               std::to_string(res.exit_code) + ")");
    return Expectations(s, key, r, local);
  }

  // Evaluates `expect` and records the step as done (or failed/stopped).
  Result<Flow> Expectations(const Step& s, const std::string& key, PlaybookStepRecord& r,
                            const std::map<std::string, json>& local) {
    for (const auto& e : s.expect) {
      auto v = Evaluate(e.that, MakeLookup(local));
      bool held = v.ok() && Truthy(*v);
      if (held) continue;
      std::string why =
          "expected " + e.that + (v.ok() ? "" : " (could not tell: " + v.error().message + ")");
      if (e.warn) {
        r.summary += " [warning: " + why + "]";
        io_.Show("Warning: " + why);
        continue;
      }
      r.summary += " [" + why + "]";
      MXIR_RETURN_IF_ERROR(Put(r, "failed", "expectation did not hold: " + e.that));
      io_.Show("Stopping: " + why + " — outcome " + e.stop);
      return Flow{Flow::kStopped, e.stop, "step '" + key + "': " + why};
    }
    MXIR_RETURN_IF_ERROR(
        Put(r, "done", r.reason == "changing" || r.reason == "reading" ? "" : r.reason));
    return Flow{};
  }

  // A step found "unknown" (its process died while it ran). Returns a Flow when decided without
  // running it again; nullopt when it is to run again.
  Result<std::optional<Flow>> ResolveUnknown(const Step& s, const std::string& key,
                                             PlaybookStepRecord& r,
                                             const std::vector<std::string>& argv) {
    if (!s.mutates) {
      io_.Show("This step was running when the run stopped; it only reads, so it runs again.");
      r.reason = "re-run after an interruption (it only reads)";
      return std::optional<Flow>();
    }
    std::string started = r.started_at ? r.started_at->ToString() : "";
    if (s.verify) {
      std::map<std::string, json> local = {{"step.started_at", json(started)},
                                           {"step.id", json(key)}};
      auto vargv = RenderArgv(s.verify->run, MakeLookup(local));
      if (vargv.ok()) {
        io_.Show(
            "This step was running when the run stopped. Checking whether it took effect:\n$ " +
            ShellQuoted(*vargv));
        auto ex = Execute(*vargv, 120, "");
        if (ex.ok() && ex->res.exit_code < 2) {
          local["exit_code"] = ex->res.exit_code;
          for (const auto& [name, path] : s.verify->outputs) {
            auto v = JsonPath(ex->doc, path);
            local[name] = v.ok() ? *v : json(nullptr);
          }
          auto v = Evaluate(s.verify->that, MakeLookup(local));
          if (v.ok() && Truthy(*v)) {
            r.summary = "confirmed by verify after an interruption: " + s.verify->that;
            r.ended_at.reset();
            MXIR_RETURN_IF_ERROR(Put(
                r, "done",
                "was unknown after an interruption; verify confirmed it: " + ShellQuoted(*vargv)));
            io_.Show("Verified: it took effect (" + s.verify->that + "). Not run again.");
            return std::optional<Flow>(Flow{});
          }
          io_.Show("Verify could not confirm it (" + s.verify->that + " is " +
                   (v.ok() ? "false" : v.error().message) + ").");
        } else {
          io_.Show("The verify command did not work" +
                   (ex.ok() ? " (exit " + std::to_string(ex->res.exit_code) + ")"
                            : ": " + ex.error().message));
        }
      }
    }
    std::string q = "Step '" + key + "' was running when the run stopped (" + ShellQuoted(argv) +
                    ", started " + started +
                    "). Check whether it took effect. Answer done (it did), retry (run it "
                    "again) or failed:";
    std::optional<std::string> a;
    std::string how;
    if (auto it = o_.answers.find(s.id); it != o_.answers.end()) {
      a = it->second;
      how = "--answer";
    } else {
      for (int i = 0; i < kMaxPromptTries && !a; ++i) {
        auto got = io_.Ask(q);
        if (!got) break;
        if (*got == "done" || *got == "retry" || *got == "failed") a = got, how = "terminal";
      }
    }
    if (!a) {
      MXIR_RETURN_IF_ERROR(Put(r, "unknown", r.reason));
      return std::optional<Flow>(Flow{Flow::kWaitInput, "",
                                      q + "\nContinue with: mxir playbook resume --case " +
                                          c_.path() + " --answer " + s.id + "=done|retry|failed"});
    }
    r.answer = *a;
    r.answered_by = CurrentActor() + " (" + how + ")";
    if (*a == "done") {
      r.summary = "marked done by " + r.answered_by + " after an interruption";
      MXIR_RETURN_IF_ERROR(Put(r, "done",
                               "was unknown after an interruption; the person said it "
                               "took effect"));
      return std::optional<Flow>(Flow{});
    }
    if (*a == "failed") {
      return std::optional<Flow>(*Fail(s, key,
                                       "was unknown after an interruption; the person "
                                       "said it failed"));
    }
    if (*a != "retry")
      return MakeError(ErrorCode::kUsage,
                       "--answer " + s.id + "=" + *a + ": this step needs done, retry or failed");
    r.reason = "run again after an interruption, as " + r.answered_by + " said";
    return std::optional<Flow>();
  }

  Result<Flow> AskStep(const Step& s, const std::string& key) {
    auto& r = Rec(s, key);
    std::string q = Text(s.question);
    std::string choices;
    if (s.answer.type == "bool") choices = " [yes/no]";
    if (!s.answer.choices.empty()) {
      for (const auto& ch : s.answer.choices) choices += (choices.empty() ? " [" : "/") + ch;
      choices += "]";
    }
    io_.Show(Header(s) + (s.text.empty() ? "" : "\n" + Text(s.text)));
    std::optional<json> value;
    std::string how;
    if (auto it = o_.answers.find(s.id); it != o_.answers.end()) {
      auto v = Coerce(s.answer.type, s.answer.choices, it->second);
      if (!v.ok())
        return MakeError(ErrorCode::kUsage, "--answer " + s.id + ": " + v.error().message);
      value = *v;
      how = "--answer";
      io_.Show(q + choices + " " + it->second + "   (from --answer)");
    } else {
      for (int i = 0; i < kMaxPromptTries && !value; ++i) {
        auto got = io_.Ask(q + choices);
        if (!got) break;
        auto v = Coerce(s.answer.type, s.answer.choices, *got);
        if (v.ok() && !(s.answer.required && got->empty())) {
          value = *v;
          how = "terminal";
        } else {
          io_.Show(v.ok() ? "An answer is needed." : v.error().message);
        }
      }
    }
    if (!value) {
      if (o_.dry_run) {
        r.summary = "question: " + q;
        io_.Show("(dry run: would ask) " + q + choices);
        MXIR_RETURN_IF_ERROR(Put(r, "skipped", "dry run: no answer given"));
        return Flow{};
      }
      r.summary = "waiting for an answer: " + q;
      MXIR_RETURN_IF_ERROR(Put(r, "waiting", "waiting for an answer"));
      return Flow{Flow::kWaitInput, "",
                  "Waiting for an answer to '" + s.id + "': " + q + choices +
                      "\nContinue with: mxir playbook resume --case " + c_.path() + " --answer " +
                      s.id + "=VALUE"};
    }
    r.answer = *value;
    r.answered_by = CurrentActor() + " (" + how + ")";
    r.summary = q + " -> " + ValueText(*value);
    if (!s.save.empty()) vars_[s.save] = *value;
    r.reason.clear();
    return Expectations(s, key, r, {{"answer", *value}});
  }

  // Commands a gate unlocks: the run steps naming it in `requires`, plus `unlocks`.
  void CollectUnlocked(const std::vector<Step>& steps, const Step& gate,
                       std::vector<const Step*>* out) {
    for (const auto& s : steps) {
      if (s.type == StepType::kRun &&
          (std::count(s.requires_gates.begin(), s.requires_gates.end(), gate.id) ||
           std::count(gate.unlocks.begin(), gate.unlocks.end(), s.id)))
        out->push_back(&s);
      for (const auto* l : {&s.then_steps, &s.else_steps, &s.default_steps, &s.body})
        CollectUnlocked(*l, gate, out);
      for (const auto& c : s.cases) CollectUnlocked(c.second, gate, out);
    }
  }

  Result<Flow> GateStep(const Step& s, const std::string& key) {
    auto& r = Rec(s, key);
    std::vector<const Step*> unlocked;
    CollectUnlocked(rb_.steps, s, &unlocked);
    ordered_json cmds = ordered_json::array();
    std::string list;
    for (const Step* u : unlocked) {
      auto a = RenderArgv(u->run, MakeLookup({{"step.id", json(u->id)}}));
      std::string line = ShellQuoted(a.ok() ? *a : u->run);
      cmds.push_back(line);
      list += "\n    $ " + line;
    }
    r.unlocks = cmds;
    std::string confirm = Text(s.confirm);
    io_.Show(Header(s) + (s.text.empty() ? "" : "\n" + Text(s.text)) +
             (s.danger == "high" ? "\n  !! This changes something that is hard to undo." : "") +
             (list.empty() ? "" : "\n  Approving lets these commands run:" + list));
    if (o_.dry_run) {
      r.summary = "would ask to type '" + confirm + "'";
      MXIR_RETURN_IF_ERROR(Put(r, "skipped", "dry run: approval not asked"));
      return Flow{};
    }
    if (o_.approvals.count(s.id)) {
      r.approved_by = CurrentActor();
      r.approval_text = "--approve " + s.id;
      r.summary = "approved by " + r.approved_by + " with --approve";
      MXIR_RETURN_IF_ERROR(Put(r, "done", "approved"));
      io_.Show("Approved (--approve " + s.id + ").");
      return Flow{};
    }
    for (int i = 0; i < kMaxPromptTries; ++i) {
      auto got = io_.Ask("Type '" + confirm + "' to approve, or 'no' to stop here:");
      if (!got) break;
      if (*got == confirm) {
        r.approved_by = CurrentActor();
        r.approval_text = *got;
        r.summary = "approved by " + r.approved_by + " (typed '" + *got + "')";
        MXIR_RETURN_IF_ERROR(Put(r, "done", "approved"));
        return Flow{};
      }
      if (*got == "no") {
        r.summary = "declined by " + CurrentActor();
        MXIR_RETURN_IF_ERROR(Put(r, "failed", "declined"));
        return Flow{Flow::kStopped, "declined", "gate '" + s.id + "' was declined"};
      }
      io_.Show("That is not the text asked for; nothing was approved.");
    }
    r.summary = "waiting for approval: type '" + confirm + "'";
    MXIR_RETURN_IF_ERROR(Put(r, "waiting", "waiting for approval"));
    return Flow{Flow::kWaitInput, "",
                "Waiting for approval of gate '" + s.id +
                    "'. Read what it unlocks (above), then "
                    "continue with: mxir playbook resume --case " +
                    c_.path() + " --approve " + s.id};
  }

  Result<Flow> IfStep(const Step& s, const std::string& key, const std::string& prefix,
                      bool dry_branch) {
    auto v = Evaluate(s.condition, MakeLookup());
    auto& r = Rec(s, key);
    if (!v.ok()) {
      if (o_.dry_run && v.error().code == ErrorCode::kNotFound) {
        if (!Finished(key)) {
          r.summary = "condition " + s.condition + " not known in a dry run: both branches shown";
          MXIR_RETURN_IF_ERROR(Put(r, "skipped", "dry run: " + v.error().message));
        }
        io_.Show(Header(s) + "\nIf " + s.condition + ":");
        MXIR_ASSIGN_OR_RETURN(Flow a, List(s.then_steps, prefix, true));
        if (a.kind != Flow::kNext) return a;
        if (!s.else_steps.empty()) {
          io_.Show("Otherwise:");
          MXIR_ASSIGN_OR_RETURN(Flow b, List(s.else_steps, prefix, true));
          if (b.kind != Flow::kNext) return b;
        }
        return Flow{};
      }
      return Fail(s, key, "condition '" + s.condition + "': " + v.error().message);
    }
    bool yes = Truthy(*v);
    if (!Finished(key)) {
      r.summary = s.condition + " is " + (yes ? "true" : "false");
      MXIR_RETURN_IF_ERROR(Put(r, "done", ""));
      io_.Show(Header(s) + "\n" + r.summary);
    }
    return List(yes ? s.then_steps : s.else_steps, prefix, dry_branch);
  }

  Result<Flow> SwitchStep(const Step& s, const std::string& key, const std::string& prefix,
                          bool dry_branch) {
    auto v = Evaluate(s.on, MakeLookup());
    auto& r = Rec(s, key);
    if (!v.ok()) {
      if (o_.dry_run && v.error().code == ErrorCode::kNotFound) {
        if (!Finished(key)) {
          r.summary = s.on + " not known in a dry run: every case shown";
          MXIR_RETURN_IF_ERROR(Put(r, "skipped", "dry run: " + v.error().message));
        }
        for (const auto& c : s.cases) {
          io_.Show("When " + s.on + " is " + c.first + ":");
          MXIR_ASSIGN_OR_RETURN(Flow f, List(c.second, prefix, true));
          if (f.kind != Flow::kNext) return f;
        }
        if (!s.default_steps.empty()) {
          io_.Show("Otherwise:");
          MXIR_ASSIGN_OR_RETURN(Flow f, List(s.default_steps, prefix, true));
          if (f.kind != Flow::kNext) return f;
        }
        return Flow{};
      }
      return Fail(s, key, "'" + s.on + "': " + v.error().message);
    }
    std::string val = ValueText(*v);
    const std::vector<Step>* branch = nullptr;
    std::string chosen = "default";
    for (const auto& c : s.cases)
      if (c.first == val) {
        branch = &c.second;
        chosen = c.first;
      }
    if (!branch && !s.default_steps.empty()) branch = &s.default_steps;
    if (!Finished(key)) {
      r.summary = s.on + " is '" + val + "': " + (branch ? "case " + chosen : "no case applies");
      MXIR_RETURN_IF_ERROR(Put(r, "done", ""));
      io_.Show(Header(s) + "\n" + r.summary);
    }
    if (!branch) return Flow{};
    return List(*branch, prefix, dry_branch);
  }

  Result<Flow> RepeatStep(const Step& s, const std::string& key, const std::string& prefix,
                          bool dry_branch) {
    auto& r0 = Rec(s, key);
    Timestamp now = c_.clock().Now();
    if (!r0.started_at) {
      r0.outputs = {{"rounds", 0}};
      io_.Show(Header(s));
      MXIR_RETURN_IF_ERROR(Put(r0, "running", "repeating"));
    }
    if (o_.dry_run) {
      MXIR_ASSIGN_OR_RETURN(Flow f, List(s.body, key + "#1/", dry_branch));
      if (f.kind != Flow::kNext) return f;
      auto& r = recs_[key];
      r.summary = "would repeat every " + std::to_string(s.every_s / 3600) + " h until " + s.until +
                  " (at most " + std::to_string(s.max_s / 86400) + " days)";
      MXIR_RETURN_IF_ERROR(Put(r, "skipped", "dry run: one round shown"));
      return Flow{};
    }
    const int64_t max_rounds = s.max_s / std::max<int64_t>(s.every_s, 1) + 2;
    for (int64_t i = 1; i <= max_rounds; ++i) {
      auto& r = recs_[key];
      int64_t rounds = r.outputs.value("rounds", 0);
      std::string round_prefix = key + "#" + std::to_string(i) + "/";
      bool started = std::any_of(recs_.begin(), recs_.end(), [&](const auto& kv) {
        return kv.first.rfind(round_prefix, 0) == 0;
      });
      if (i > rounds && i > 1 && !started) {
        Timestamp first = *r.started_at;
        int64_t last_us = r.outputs.value("last_round_at_us", first.micros());
        now = c_.clock().Now();
        if (now.micros() >= first.micros() + s.max_s * kMicrosPerSecond) {
          r.summary =
              "gave up after " + std::to_string(rounds) + " rounds: " + s.until + " never held";
          r.next_due_at.reset();
          MXIR_RETURN_IF_ERROR(Put(r, "failed", "max reached"));
          if (!s.on_failure_stop.empty())
            return Flow{Flow::kStopped, s.on_failure_stop, "step '" + key + "': " + r.summary};
          return Flow{Flow::kFailed, "", "step '" + key + "': " + r.summary};
        }
        Timestamp due = Timestamp::FromMicros(last_us + s.every_s * kMicrosPerSecond);
        if (now < due) {
          r.next_due_at = due;
          r.summary = std::to_string(rounds) + " round(s) so far; next check at " + due.ToString();
          MXIR_RETURN_IF_ERROR(Put(r, "waiting", "waiting until " + due.ToString()));
          return Flow{Flow::kWaitTime, "",
                      "Next check of '" + s.id + "' is due at " + due.ToString() +
                          ". Run mxir playbook resume --case " + c_.path() +
                          " then (e.g. daily from cron); until then nothing is lost."};
        }
      }
      MXIR_ASSIGN_OR_RETURN(Flow f, List(s.body, round_prefix, dry_branch));
      if (f.kind != Flow::kNext) return f;
      auto& rr = recs_[key];
      if (i > rounds) {
        rr.outputs["rounds"] = i;
        rr.outputs["last_round_at_us"] = c_.clock().Now().micros();
      }
      auto v = Evaluate(s.until, MakeLookup());
      if (!v.ok()) return Fail(s, key, "until '" + s.until + "': " + v.error().message);
      if (Truthy(*v)) {
        rr.summary = s.until + " after " + std::to_string(i) + " round(s)";
        rr.next_due_at.reset();
        MXIR_RETURN_IF_ERROR(Put(rr, "done", ""));
        io_.Show("Done repeating: " + s.until);
        return Flow{};
      }
      if (i > rounds) MXIR_RETURN_IF_ERROR(Put(rr, "running", "repeating"));
    }
    return Fail(s, key, "repeated more often than its every/max allow");
  }

  casedb::CaseDb& c_;
  PlaybookStore store_;
  const RunOptions& o_;
  Interaction& io_;
  ProcessRunner& proc_;
  Runbook rb_;
  PlaybookRun run_;
  std::map<std::string, PlaybookStepRecord> recs_;
  std::map<std::string, json> vars_;
  int64_t seq_ = 0;
};

}  // namespace

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
