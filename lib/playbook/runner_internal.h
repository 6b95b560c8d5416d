// Runner: one playbook run walked step by step (internal to lib/playbook; StartRun and ResumeRun
// in runner.h are the interface and say what callers may rely on). runner.cpp: starting and
// resuming a run, variables, the walk and the step records; runner_steps.cpp: the steps that run
// a command or ask a question; runner_flow.cpp: gates, if, switch and repeat. A run's inputs are
// in run_inputs.h, finding and refusing runs in run_registry.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "casedb/playbook_store.h"
#include "playbook/expr.h"
#include "playbook/run_inputs.h"
#include "playbook/run_registry.h"
#include "playbook/runner.h"

namespace mxir::playbook::internal {

using casedb::PlaybookRun;
using casedb::PlaybookStepRecord;
using casedb::PlaybookStore;
using nlohmann::json;
using nlohmann::ordered_json;

inline constexpr int64_t kDefaultTimeoutS = 600;
inline constexpr int kMaxPromptTries = 5;

// What the walk does after a step.
struct Flow {
  enum Kind { kNext, kEnded, kStopped, kFailed, kWaitInput, kWaitTime } kind = kNext;
  std::string outcome, message;
};

class Runner {
 public:
  Runner(casedb::CaseDb& c, const RunOptions& o, Interaction& io, ProcessRunner& proc)
      : c_(c), store_(c), o_(o), io_(io), proc_(proc) {}

  Result<RunReport> Start(const Runbook& rb);

  Result<RunReport> Resume(const std::string& run_id);

 private:
  // ---- variables ----
  std::optional<json> LookupVar(const std::string& name) const;
  Lookup MakeLookup(const std::map<std::string, json>& local = {}) const;

  Result<RunReport> Walk();

  // ---- records ----
  PlaybookStepRecord& Rec(const Step& s, const std::string& key);
  Status Put(PlaybookStepRecord& r, const std::string& state, const std::string& reason);
  bool Finished(const std::string& key) const;

  void Restore(const Step& s, const PlaybookStepRecord& r);

  std::string Header(const Step& s);
  std::string Text(const std::string& t);

  // ---- the walk ----
  Result<Flow> List(const std::vector<Step>& steps, const std::string& prefix, bool dry_branch);

  Result<Flow> One(const Step& s, const std::string& key, const std::string& prefix,
                   bool dry_branch);

  Result<Flow> Fail(const Step& s, const std::string& key, const std::string& why);

  // Runs argv, returning the result and the parsed JSON output (null if not JSON).
  struct Exec {
    ProcessResult res;
    json doc;
  };
  Result<Exec> Execute(const std::vector<std::string>& argv, int64_t timeout_s,
                       const std::string& idem);

  static std::string ShortOutput(const std::string& out);

  Result<Flow> RunStep(const Step& s, const std::string& key);

  // Evaluates `expect` and records the step as done (or failed/stopped).
  Result<Flow> Expectations(const Step& s, const std::string& key, PlaybookStepRecord& r,
                            const std::map<std::string, json>& local);

  // A step found "unknown" (its process died while it ran). Returns a Flow when decided without
  // running it again; nullopt when it is to run again.
  Result<std::optional<Flow>> ResolveUnknown(const Step& s, const std::string& key,
                                             PlaybookStepRecord& r,
                                             const std::vector<std::string>& argv);

  Result<Flow> AskStep(const Step& s, const std::string& key);

  // Commands a gate unlocks: the run steps naming it in `requires`, plus `unlocks`.
  void CollectUnlocked(const std::vector<Step>& steps, const Step& gate,
                       std::vector<const Step*>* out);

  Result<Flow> GateStep(const Step& s, const std::string& key);

  Result<Flow> IfStep(const Step& s, const std::string& key, const std::string& prefix,
                      bool dry_branch);

  Result<Flow> SwitchStep(const Step& s, const std::string& key, const std::string& prefix,
                          bool dry_branch);

  Result<Flow> RepeatStep(const Step& s, const std::string& key, const std::string& prefix,
                          bool dry_branch);

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

}  // namespace mxir::playbook::internal
