// The display zone: the zone a person reads times in. Tables, summaries and explanations show
// times in it, compactly ("2026-11-17 11:05:00 JST"); JSON, JSON Lines and the case keep UTC
// RFC 3339 (the contract's form).
//
// Chosen once per process (Cli::Parse does it): the tool's --tz where it has one for display, else
// the environment variable MXIR_TZ, else the system's zone (TZ, /etc/localtime; UTC when none).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time_zone.h"
#include "core/timestamp.h"

namespace mxir {

// `name` from an option ("" when not given). Errors name the zone and suggest the IANA name.
[[nodiscard]] Status SetDisplayZone(std::string_view name);
const TimeZone& DisplayZone();

// "2026-11-17 11:05:00 JST" (seconds; no fraction).
std::string DisplayTime(Timestamp t);
// The text of an RFC 3339 UTC instant ("2026-11-17T02:05:00.000000Z") in the display form;
// anything else unchanged.
std::string DisplayTimeText(std::string_view text);

// `text` (an explanation) with every RFC 3339 UTC instant in it shown in the display form.
std::string DisplayTimesInText(std::string_view text);

}  // namespace mxir
