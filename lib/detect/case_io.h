// The case side of detection: reading a case's events and assets into the engine, and storing
// the findings back (by stable id, so a re-run updates instead of duplicating), with the
// blocklisted addresses added to the case's assets and one audit-trail entry per run.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "casedb/case_db.h"
#include "core/progress.h"
#include "core/timestamp.h"
#include "detect/detect_engine.h"
#include "detect/locality.h"

namespace mxir::detect {

// Adds the case's IP and network assets to the inside networks and its domain assets to the
// local domains. `signature` (optional) receives the assets used, one "kind value" line each: two
// equal signatures give the same locality (detect --follow re-judges only when it changes).
[[nodiscard]] Status AddCaseLocality(casedb::CaseDb& c, Locality* loc,
                                     std::string* signature = nullptr);

// Feeds the case's events within [since, until) to the engine, in time order. Stored events
// that no longer parse are counted as "skipped.bad_stored_event".
// `control` (optional): a stop flag checked every few thousand events (Ctrl-C), a progress
// display, and what happened.
struct FeedControl {
  const std::atomic<bool>* stop = nullptr;
  Progress* progress = nullptr;
  int64_t fed = 0;
  bool interrupted = false;
  // Read only the events stored after this row id (0: all); last_id is set to the largest row id
  // read, so the next pass can start there (detect --follow).
  int64_t after_id = 0;
  int64_t last_id = 0;
};
[[nodiscard]] Status FeedCaseEvents(casedb::CaseDb& c, std::optional<Timestamp> since,
                                    std::optional<Timestamp> until, DetectEngine* engine,
                                    FeedControl* control = nullptr);

struct SeverityChange {
  std::string id, from, to;
};

struct StoreSummary {
  int64_t added = 0, updated = 0, assets_added = 0;
  int64_t unchanged = 0;  // with a StoredFindings cache: found as stored last time, not rewritten
  std::vector<std::string> resolved;     // stored findings this run no longer supports
  std::vector<std::string> reactivated;  // resolved earlier, supported again
  std::vector<std::string> dismissed;    // found again but dismissed by a person: left so
  std::vector<SeverityChange> changed;   // stored findings whose severity this run changed
  int64_t assets_over_cap = 0;  // listed addresses not added: at most kMaxAutoAssets per run
};

// How a run may judge the findings already stored: only a run over the case's own events
// (judge = true) can say a stored finding is no longer supported, and only within the time range
// it read.
struct JudgeStored {
  bool judge = false;
  std::optional<Timestamp> since, until;
  std::string settings;  // the settings used, for the "why" of a resolved finding
};

// What one process stored last (detect --follow): finding id -> the finding as stored. With it,
// StoreResult rewrites only findings that changed since (or that are not stored active or
// dismissed any more: resolved or removed by someone else meanwhile), so a pass costs what changed
// (findings are compared field by field, and only the changed ones copied into the cache).
struct StoredFindings {
  std::unordered_map<std::string, Finding> last;
};

// Upserts the findings, marks the stored findings the run no longer supports as resolved (with
// why), adds the listed addresses as IP assets, records the run in the audit trail.
[[nodiscard]] Result<StoreSummary> StoreResult(casedb::CaseDb& c, const DetectResult& result,
                                               const JudgeStored& judge = {},
                                               StoredFindings* cache = nullptr);

}  // namespace mxir::detect
