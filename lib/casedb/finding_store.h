// FindingStore: Findings in the case, keyed by their stable id, so running detect again updates
// a finding (new last_seen, counts, evidence) instead of adding a copy.
#pragma once

#include <optional>
#include <vector>

#include "casedb/case_db.h"
#include "core/finding.h"

namespace mxir::casedb {

class FindingStore {
 public:
  explicit FindingStore(CaseDb& c) : c_(c) {}
  // True when new, false when an existing finding was updated.
  Result<bool> Upsert(const Finding& f);
  Result<std::vector<Finding>> List(std::optional<Timestamp> since = std::nullopt,
                                    std::optional<Timestamp> until = std::nullopt);

 private:
  CaseDb& c_;
};

}  // namespace mxir::casedb
