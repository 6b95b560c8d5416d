// Gates (an approval unlocking commands) and the control-flow steps: if, switch, repeat.
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

void Runner::CollectUnlocked(const std::vector<Step>& steps, const Step& gate,
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

Result<Flow> Runner::GateStep(const Step& s, const std::string& key) {
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

Result<Flow> Runner::IfStep(const Step& s, const std::string& key, const std::string& prefix,
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

Result<Flow> Runner::SwitchStep(const Step& s, const std::string& key, const std::string& prefix,
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

Result<Flow> Runner::RepeatStep(const Step& s, const std::string& key, const std::string& prefix,
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

}  // namespace mxir::playbook::internal
