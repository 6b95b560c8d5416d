// `mxir detect --follow`: detection passes over a case every --interval until stopped (a signal
// sets the stop flag) or --duration is over. Each pass reads only the events stored since the
// last one (detect_pass.h); the caller is shown the findings that are new or more severe than
// before, and between passes the case's write-ahead log is copied into the case file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "core/counters.h"
#include "core/finding.h"
#include "core/status.h"
#include "detect/detect_config.h"
#include "detect/detect_pass.h"
#include "detect/locality.h"

namespace mxir::detect {

// The most severe of `findings` (none when empty).
std::optional<Severity> WorstSeverity(const std::vector<Finding>& findings);

struct FollowOptions {
  double interval_s = 5;  // seconds between passes (more than 0)
  double duration_s = 0;  // stop after this many seconds (0: until *stop)
};

// What the caller is told after each pass.
struct FollowPass {
  int pass = 0;            // 1, 2, ...
  int64_t new_events = 0;  // events read by this pass
  double seconds = 0;      // how long the pass took (read, analysis and store)
  const DetectResult* result = nullptr;
  const FollowState* state = nullptr;  // read_s, analysis_s, store_s of this pass
  std::vector<Finding> fresh;          // findings new or more severe than any shown before
};

// The pass's line for --stats json: its number, new events, seconds (and where they went) and
// the number of findings.
nlohmann::ordered_json FollowPassStats(const FollowPass& p);

// Runs passes over the case `c` until *stop is set (the loop sets it when duration_s is over),
// calling `on_pass` after each. `counters` holds the engine's counters after the last pass.
// Returns the worst severity among the findings shown, or the first pass's error.
Result<std::optional<Severity>> FollowCase(const PassInput& in, const DetectConfig& cfg,
                                           const Locality& base, casedb::CaseDb& c,
                                           const FollowOptions& options, std::atomic<bool>* stop,
                                           Counters* counters, const PassMessages& messages,
                                           const std::function<void(const FollowPass&)>& on_pass);

}  // namespace mxir::detect
