// FindingStore: Findings in the case, keyed by their stable id, so running detect again updates
// a finding (new last_seen, counts, evidence) instead of adding a copy.
//
// A stored finding has a life (schema step 3 -> 4): `active` while the latest detect run supports
// it, `resolved` when a later run over the same events no longer does (kept, with why), and
// `dismissed` when a person marked it a false positive (`mxir case dismiss ID --why TEXT`). A
// resolved finding that a later run supports again becomes active again; a dismissed one stays
// dismissed (its data still updated), so acting tools (reset --from-findings) leave it alone.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "casedb/case_db.h"
#include "core/finding.h"

namespace mxir::casedb {

inline constexpr const char* kFindingActive = "active";
inline constexpr const char* kFindingResolved = "resolved";
inline constexpr const char* kFindingDismissed = "dismissed";

struct StoredFinding {
  Finding finding;
  std::string status = kFindingActive;
  std::string status_why, status_by;
  std::optional<Timestamp> status_at;
  Timestamp created, updated;
};

struct UpsertResult {
  bool added = false;
  std::string old_severity;  // "" when added
  std::string status;        // after the upsert
  bool reactivated = false;  // was resolved, is active again
};

class FindingStore {
 public:
  explicit FindingStore(CaseDb& c) : c_(c) {}
  // True when new, false when an existing finding was updated.
  Result<bool> Upsert(const Finding& f);
  Result<UpsertResult> UpsertDetailed(const Finding& f);
  // Every stored finding, whatever its status.
  Result<std::vector<Finding>> List(std::optional<Timestamp> since = std::nullopt,
                                    std::optional<Timestamp> until = std::nullopt);
  Result<std::vector<StoredFinding>> ListStored(std::optional<Timestamp> since = std::nullopt,
                                                std::optional<Timestamp> until = std::nullopt);
  Result<std::optional<StoredFinding>> Get(const std::string& id);
  // Every stored finding's id -> its status (active, resolved, dismissed).
  Result<std::unordered_map<std::string, std::string>> Statuses();
  // Marks every active finding whose id is not in `supported` as resolved with `why`. Only
  // findings lying within [since, until) are considered (a run over part of the events cannot
  // judge the rest). Returns the ids resolved.
  Result<std::vector<std::string>> ResolveUnsupported(const std::set<std::string>& supported,
                                                      const std::string& why,
                                                      std::optional<Timestamp> since,
                                                      std::optional<Timestamp> until);
  // Sets a finding's status (by the current user, now). False when there is no such id.
  Result<bool> SetStatus(const std::string& id, const std::string& status, const std::string& why);

 private:
  CaseDb& c_;
  // Prepared once per FindingStore, reset for each use (a detect pass stores thousands).
  std::optional<Statement> exists_, upsert_, set_status_;
};

}  // namespace mxir::casedb
