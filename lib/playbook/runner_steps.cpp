// The steps that run a command (with its expectations, and a step left "unknown" by a killed run)
// and the steps that ask a question.
#include <algorithm>

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

namespace mxir::playbook::internal {

Result<Runner::Exec> Runner::Execute(const std::vector<std::string>& argv, int64_t timeout_s,
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

std::string Runner::ShortOutput(const std::string& out) {
  std::string s;
  int lines = 0;
  for (size_t i = 0; i < out.size() && lines < 12 && s.size() < 1500; ++i) {
    s += out[i];
    if (out[i] == '\n') ++lines;
  }
  if (s.size() < out.size()) s += "... (" + std::to_string(out.size()) + " bytes in all)";
  return s;
}

Result<Flow> Runner::RunStep(const Step& s, const std::string& key) {
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

Result<Flow> Runner::Expectations(const Step& s, const std::string& key, PlaybookStepRecord& r,
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

Result<std::optional<Flow>> Runner::ResolveUnknown(const Step& s, const std::string& key,
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
      io_.Show("This step was running when the run stopped. Checking whether it took effect:\n$ " +
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

Result<Flow> Runner::AskStep(const Step& s, const std::string& key) {
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
    if (!v.ok()) return MakeError(ErrorCode::kUsage, "--answer " + s.id + ": " + v.error().message);
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

}  // namespace mxir::playbook::internal
