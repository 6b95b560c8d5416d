// `mxir case show` for a person: the case summary (casedb::CaseSummary) as text — counts,
// active findings, assets as a table, and one block per input read.
#pragma once

#include <nlohmann/json.hpp>

namespace mxir::tools {

void PrintCaseSummary(const nlohmann::ordered_json& summary);

}  // namespace mxir::tools
