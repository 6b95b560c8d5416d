// ActionLog: the case's audit trail. Every change any tool makes to the case, or to anything
// outside it (a password, a config file, a queue), is recorded here: when, which tool, who ran it,
// the target, what was done, the outcome, and details as JSON. Details must never hold a secret:
// callers pass only what is safe to show to anyone who reads the case.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"

namespace mxir::casedb {

struct Action {
  int64_t id = 0;
  Timestamp ts;
  std::string tool, actor, target, action, outcome;
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
};

class ActionLog {
 public:
  explicit ActionLog(CaseDb& c) : c_(c) {}
  // Records now, by the current user.
  Status Record(const std::string& tool, const std::string& target, const std::string& action,
                const std::string& outcome,
                const nlohmann::ordered_json& details = nlohmann::ordered_json::object());
  // An action whose details are already JSON text (a writer of many records builds it directly).
  struct Row {
    Timestamp ts;
    std::string tool, target, action, outcome;
    std::string details_json;  // one JSON object
  };
  // Records many actions by the current user with one compiled statement (the caller's
  // transaction makes them one commit), each at its own `ts`.
  Status RecordMany(const std::vector<Row>& rows);
  Result<std::vector<Action>> List(std::optional<Timestamp> since = std::nullopt,
                                   std::optional<Timestamp> until = std::nullopt);

 private:
  CaseDb& c_;
};

}  // namespace mxir::casedb
