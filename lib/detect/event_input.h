// Reading Events from JSON Lines (`mxir capture`/`mxir ingest` output, a file or stdin) for
// detection: one event per line, blank lines ignored. A line that is not a valid event (bad
// JSON, a field of the wrong type, an unknown kind, no ts) is skipped and counted as
// "skipped.bad_event"; the first few reasons are kept, with their line numbers, for the tool
// to show. Events outside [since, until) are counted as "outside_time_range".
#pragma once

#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/event.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace mxir::detect {

struct JsonlInput {
  std::string name = "-";  // for messages
  std::optional<Timestamp> since, until;
  size_t max_line_bytes = 1 << 20;  // longer lines are skipped ("skipped.line_too_long")
};

// Calls `fn` for each good event. Fails only when the stream itself fails (I/O).
[[nodiscard]] Status ReadEventsJsonl(std::istream& in, const JsonlInput& opts,
                                     const std::function<void(const Event&)>& fn,
                                     Counters* counters, std::vector<std::string>* first_errors);

}  // namespace mxir::detect
