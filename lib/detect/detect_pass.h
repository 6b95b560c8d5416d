// One detection pass of `mxir detect`: read the events (a JSON Lines file or stdin, or the case's
// stored events), analyse them, and with a case store the findings in it. With a FollowState
// (--follow), the engine and what it read are kept between passes, so a pass reads only the events
// stored since the last one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "casedb/case_db.h"
#include "core/counters.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "detect/case_io.h"
#include "detect/detect_config.h"
#include "detect/detect_engine.h"
#include "detect/locality.h"

namespace mxir::detect {

// What a pass reads and how it judges stored findings.
struct PassInput {
  std::string events;  // a JSON Lines file, "-" for stdin; empty: the case's stored events
  std::optional<Timestamp> since, until;
  std::string settings_text;  // the settings used (DetectSettings::CommandLine())
};

// Where a pass's messages for the user go: `warn` for warnings (skipped input, a wrong --tz,
// runaway input, assets not added), `note` for what the pass changed about the stored findings.
struct PassMessages {
  std::function<void(const std::string&)> warn, note;
};

// What detect --follow keeps between passes: the evidence of every event read so far and the
// case's row id up to which it has read, so a pass reads only the events stored since.
struct FollowState {
  std::optional<DetectEngine> engine;
  int64_t cursor = 0;
  std::optional<DetectResult> last;  // the last pass's result: kept while nothing new arrives
  std::string locality;              // the case's assets the engine's locality was made from
  StoredFindings stored;  // what the last pass stored: unchanged findings are not rewritten
  double read_s = 0, analysis_s = 0, store_s = 0;  // where the last pass's time went
};

// One detection pass: events from the file/stdin or the case (`c`, may be null with a file);
// findings stored in the case. `counters` gets the engine's counters. With `follow`, the events
// already read in earlier passes are not read again. An interrupted read of the case stores
// nothing, records the interruption in the case's action log and returns an error.
Result<DetectResult> RunDetectPass(const PassInput& in, const DetectConfig& cfg,
                                   const Locality& base, casedb::CaseDb* c, Counters* counters,
                                   const PassMessages& messages, FollowState* follow = nullptr);

}  // namespace mxir::detect
