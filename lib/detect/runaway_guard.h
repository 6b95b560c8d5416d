// Guards for runaway input in one detect run: a log that claims tens of thousands of different
// "our addresses" (a relay's or provider's log read as ours, or --internal far too wide) must not
// turn into tens of thousands of one-line findings and as many case assets.
//
// SummarizeRunaway keeps the kMaxListedFindings remote_blocklisting findings with the most
// rejections and replaces the rest with one summary finding that says what looks wrong with the
// input; result->listed (the addresses the case adds as assets) follows. StoreResult
// (case_io.h) also caps the assets one run adds at kMaxAutoAssets, with a counter.
#pragma once

#include <cstddef>

#include "core/counters.h"
#include "detect/detect_engine.h"

namespace mxir::detect {

inline constexpr size_t kMaxListedFindings = 200;
inline constexpr size_t kMaxAutoAssets = 200;

// Returns how many findings were folded into the summary (0: nothing looked wrong).
size_t SummarizeRunaway(DetectResult* result, Counters* counters);

}  // namespace mxir::detect
