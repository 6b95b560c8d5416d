// The case side of detection: reading a case's events and assets into the engine, and storing
// the findings back (by stable id, so a re-run updates instead of duplicating), with the
// blocklisted addresses added to the case's assets and one audit-trail entry per run.
#pragma once

#include <optional>
#include <string>

#include "casedb/case_db.h"
#include "core/timestamp.h"
#include "detect/detect_engine.h"
#include "detect/locality.h"

namespace mxir::detect {

// Adds the case's IP and network assets to the inside networks and its domain assets to the
// local domains.
[[nodiscard]] Status AddCaseLocality(casedb::CaseDb& c, Locality* loc);

// Feeds the case's events within [since, until) to the engine, in time order. Stored events
// that no longer parse are counted as "skipped.bad_stored_event".
[[nodiscard]] Status FeedCaseEvents(casedb::CaseDb& c, std::optional<Timestamp> since,
                                    std::optional<Timestamp> until, DetectEngine* engine);

struct StoreSummary {
  int64_t added = 0, updated = 0, assets_added = 0;
};

// Upserts the findings, adds the listed addresses as IP assets, records the run in the audit
// trail.
[[nodiscard]] Result<StoreSummary> StoreResult(casedb::CaseDb& c, const DetectResult& result);

}  // namespace mxir::detect
