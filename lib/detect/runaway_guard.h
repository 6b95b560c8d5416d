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
#include <string_view>

#include "core/counters.h"
#include "detect/detect_engine.h"

namespace mxir::detect {

inline constexpr size_t kMaxListedFindings = 200;
inline constexpr size_t kMaxAutoAssets = 200;
inline constexpr std::string_view kRunawaySummaryId = "remote_blocklisting:summary";

// Returns how many findings were folded into the summary (0: nothing looked wrong). Findings the
// engine folded already (DetectResult::listed_folded) are not folded again.
size_t SummarizeRunaway(DetectResult* result, Counters* counters);

// The summary finding for `listed` claimed addresses of which `folded` (with `folded_rejections`
// rejections between `first` and `last`) are not shown. DetectRemoteBlocklisting builds it
// without making a finding of every folded address; SummarizeRunaway from findings.
Finding RunawaySummary(size_t listed, size_t folded, int64_t folded_rejections, Timestamp first,
                       Timestamp last);

}  // namespace mxir::detect
