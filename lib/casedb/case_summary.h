// CaseSummary: what a case holds, as one JSON object (mxir case show): its metadata and schema
// version, assets, the number of events, findings by severity (and each one, worst first),
// actions in the audit trail, and the inputs read (sources).
#pragma once

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "core/status.h"

namespace mxir::casedb {

Result<nlohmann::ordered_json> CaseSummary(CaseDb& c);

}  // namespace mxir::casedb
