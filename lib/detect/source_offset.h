// Source offsets: two sources (the capture and a log, or two logs) that describe the same logins
// consistently a whole number of hours apart mean a log was read with the wrong --tz (or a
// machine's clock is off): every such attempt is then counted twice, hours apart. This check
// finds that and says which way and how far, instead of letting the counts double silently.
#pragma once

#include <string>
#include <vector>

#include "detect/evidence.h"

namespace mxir::detect {

struct SourceOffset {
  std::string earlier, later;  // source names: `later` shows the same logins later
  int hours = 0;               // later's times minus earlier's times, in whole hours (> 0)
  int64_t matched = 0;         // attempts that line up at that offset
};

// Pairs of sources whose unmerged AUTH attempts (same client, account and outcome) line up at a
// whole-hour offset of 1 to 14 hours for at least half of the smaller side (and at least 5).
std::vector<SourceOffset> FindSourceOffsets(const Evidence& ev, double merge_window_s);

// The warning for one offset, with the --tz that would make the sources agree (assuming the log
// was read in `assumed_offset_s`, the zone ingest used by default: this machine's).
std::string SourceOffsetWarning(const SourceOffset& o, int64_t assumed_offset_s);

}  // namespace mxir::detect
