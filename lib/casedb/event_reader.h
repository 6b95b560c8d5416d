// EventReader: the case's events read back (event_store.h writes them). ForEachEvent streams
// them in time order (or, from a row-id cursor, the events added since) without parsing whole
// JSON documents: each row's columns and compact rest are decoded by RowDecoder
// (event_row_decoder.h). Also: counting, the cursor's start, a collector's resume time, and the
// events as JSON for export.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "casedb/case_db.h"
#include "core/event.h"

namespace mxir::casedb {

struct EventFilter {
  std::optional<Timestamp> since, until;
  // Only events stored after this row id (a cursor for `detect --follow`); then in row order,
  // which is the order they were added.
  int64_t after_id = 0;
};

// Calls `fn` for each stored event in time order (in row order with after_id); a false return
// stops early. Rows that no longer decode are skipped and counted in *skipped. *last_id (when
// given) is set to the largest row id passed to `fn`, or left unchanged.
Status ForEachEvent(CaseDb& c, const EventFilter& filter,
                    const std::function<bool(const Event&)>& fn, int64_t* skipped = nullptr,
                    int64_t* last_id = nullptr);
// As ForEachEvent, but the rows are read and decoded on a second thread while `fn` runs on the
// caller's (detect: decoding overlaps the analysis on a machine with two cores); the same events
// in the same order, the same skipped count. `fn` must not use `c` before this returns (its
// connection is the reader's meanwhile).
Status ForEachEventReadAhead(CaseDb& c, const EventFilter& filter,
                             const std::function<bool(const Event&)>& fn,
                             int64_t* skipped = nullptr, int64_t* last_id = nullptr);
Result<int64_t> CountEvents(CaseDb& c);
// The largest row id of the events table (0 when empty): where a cursor starts.
Result<int64_t> LastEventId(CaseDb& c);
// The time of the newest stored event whose `source` is `source` (e.g. "entra-signin"), if any:
// where a collector resumes.
Result<std::optional<Timestamp>> LatestEventTime(CaseDb& c, const std::string& source);

// The event's JSON as the case keeps it (for export).
Status ForEachEventJson(CaseDb& c,
                        const std::function<void(int64_t id, const std::string& json)>& fn);

}  // namespace mxir::casedb
