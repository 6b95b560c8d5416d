// Runner: walks a runbook step by step for one case, recording every step in the case
// (casedb::PlaybookStore) so that a run can stop — for an answer, an approval, a later time, or
// because the process was killed — and continue later exactly where it was.
//
// What callers may rely on:
// - Before a `run` step starts its command, a row in state "running" with the rendered command
//   and an idempotency key (<run-id>/<step-key>) is committed; after it, the outcome, a summary
//   of the output, its SHA-256 and the outputs. A run found with a step still "running" after its
//   process died gets that step "unknown": a step that only reads is run again; one with
//   `verify` is re-checked by its verify command; otherwise the person is asked (done / retry /
//   failed). It is never silently counted as done and never silently run twice.
// - The runbook's text and SHA-256 are stored with the run; resume runs the stored text, and
//   refuses when the runbook file changed unless the change is accepted (then the new text is
//   used and the acceptance recorded in the run's notes).
// - A gate records who approved, when, what was typed and the commands it unlocks. Without a
//   terminal a gate stops the run (exit 3) until `--approve STEP` is given.
// - A dry run renders every command and runs none of them; it writes only the playbook tables.
// - Resuming replays the recorded steps (their answers and outputs come back as variables), so
//   branches are taken exactly as before.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "casedb/case_db.h"
#include "playbook/process.h"
#include "playbook/runbook.h"

namespace mxir::playbook {

// Exit statuses of `mxir playbook run/resume` (spec/cli.md).
inline constexpr int kRunCompleted = 0;
inline constexpr int kRunFailed = 1;       // a step failed or an expectation did not hold
inline constexpr int kRunInvalid = 2;      // invalid runbook or input
inline constexpr int kRunWaiting = 3;      // waiting for an answer or an approval
inline constexpr int kRunWaitingTime = 4;  // waiting until a later time (repeat)

// The person at the terminal (or nobody).
class Interaction {
 public:
  virtual ~Interaction() = default;
  virtual void Show(const std::string& text) = 0;
  // nullopt when there is nobody to ask (no terminal, end of input).
  virtual std::optional<std::string> Ask(const std::string& prompt) = 0;
};

struct RunOptions {
  std::string mxir_path;  // the mxir dispatcher the `run` steps call
  bool dry_run = false;
  std::map<std::string, std::string> answers;  // --answer STEP=VALUE
  std::set<std::string> approvals;             // --approve STEP
  std::map<std::string, std::string> inputs;   // --input NAME=VALUE
  std::string finding_id;                      // --finding ID (else the newest matching one)
  bool accept_changed = false;                 // --accept-changed-runbook
  // The runbook file's current text on resume (nullopt: not found; the stored text is used).
  std::optional<std::string> current_text;
};

struct RunReport {
  int exit_code = kRunCompleted;
  std::string run_id, status, outcome, message;
};

// Starts a new run of `rb` in the case.
Result<RunReport> StartRun(casedb::CaseDb& c, const Runbook& rb, const RunOptions& o,
                           Interaction& io, ProcessRunner& proc);

// Continues `run_id` (empty: the latest run that has not ended).
Result<RunReport> ResumeRun(casedb::CaseDb& c, const std::string& run_id, const RunOptions& o,
                            Interaction& io, ProcessRunner& proc);

// The runbook id of a run (for finding the file to compare on resume).
Result<std::string> RunbookIdOfRun(casedb::CaseDb& c, const std::string& run_id);

}  // namespace mxir::playbook
