// PlaybookStore: the records of `mxir playbook` runs (tables playbook_runs and playbook_steps).
//
// A run keeps the exact runbook text and its SHA-256 it was started with, the inputs resolved
// from the case, its status and outcome. Each step of a run is one row keyed by its path
// ("reset", "delist#2/dnsbl" for the second round of a repeat), updated in place as it moves
// from running to done/failed/..., with the rendered command, answers, approvals and outputs.
// Every Put is its own committed transaction, so a row written before a command starts
// survives the process being killed while the command runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"

namespace mxir::casedb {

struct PlaybookRun {
  std::string run_id, runbook_id, runbook_sha256, runbook_text;
  int64_t runbook_version = 0;
  nlohmann::ordered_json inputs = nlohmann::ordered_json::object();
  // running, waiting, interrupted, completed, stopped, failed
  std::string status = "running";
  std::string outcome, current_step;
  bool dry_run = false;
  Timestamp started_at, updated_at;
  std::optional<Timestamp> ended_at;
  std::string started_by, host;
  int64_t pid = 0;
  nlohmann::ordered_json notes = nlohmann::ordered_json::array();
};

struct PlaybookStepRecord {
  std::string run_id, key, step_id, type;
  int64_t seq = 0;
  std::string state;  // done, skipped, failed, waiting, running, unknown
  std::string reason;
  std::optional<Timestamp> started_at, ended_at;
  nlohmann::ordered_json command = nullptr;  // rendered argv (JSON array) or null
  std::string idempotency_key;
  std::optional<int64_t> exit_code;
  std::string summary, stdout_sha256;
  nlohmann::ordered_json answer = nullptr;  // null: not answered
  std::string answered_by;
  nlohmann::ordered_json outputs = nlohmann::ordered_json::object();
  std::string approved_by, approval_text;
  nlohmann::ordered_json unlocks = nlohmann::ordered_json::array();
  std::optional<Timestamp> next_due_at;
  int64_t attempts = 1;
};

nlohmann::ordered_json PlaybookRunToJson(const PlaybookRun& r, bool with_text);
nlohmann::ordered_json PlaybookStepToJson(const PlaybookStepRecord& s);

class PlaybookStore {
 public:
  explicit PlaybookStore(CaseDb& c) : c_(c) {}
  Status PutRun(const PlaybookRun& r);  // insert or replace, committed
  Result<std::optional<PlaybookRun>> GetRun(const std::string& run_id);
  // Oldest first.
  Result<std::vector<PlaybookRun>> ListRuns();
  Status PutStep(const PlaybookStepRecord& s);  // insert or replace, committed
  // In the order the steps were first reached.
  Result<std::vector<PlaybookStepRecord>> ListSteps(const std::string& run_id);
  Result<int64_t> NextSeq(const std::string& run_id);

 private:
  CaseDb& c_;
};

}  // namespace mxir::casedb
