// Export of a whole case as one JSON document: every table, every row (JSON columns embedded as
// JSON), so later tables are exported without changes here. The fingerprint key is not in the
// database and is never exported.
#pragma once

#include <ostream>

#include "casedb/case_db.h"

namespace mxir::casedb {

Status ExportCaseJson(CaseDb& c, std::ostream& out);

}  // namespace mxir::casedb
