// A run's inputs (internal to lib/playbook): each input the runbook declares gets its value from
// --input NAME=VALUE or from the case (`from`: case.path, case.title, finding.FIELD..., ip(s),
// domain(s), account(s), network(s) among the case's assets), checked and converted to its type.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "core/status.h"
#include "playbook/runbook.h"
#include "playbook/runner.h"

namespace mxir::playbook::internal {

// Checks and converts a typed value (answers and inputs).
Result<nlohmann::json> Coerce(const std::string& type, const std::vector<std::string>& choices,
                              const std::string& text);

// The inputs of a new run of `rb`: name -> value, plus "finding" (the id of the finding given with
// --finding, else the most severe, newest one whose playbook is `rb`). A required input without a
// value is an error (not on a dry run); so is an --input the runbook does not declare.
Result<nlohmann::ordered_json> ResolveInputs(casedb::CaseDb& case_db, const Runbook& rb,
                                             const RunOptions& o);

}  // namespace mxir::playbook::internal
