// TimeZone: converts local wall-clock times (year-less syslog lines, --tz reports) to UTC and back.
//
// Accepts "UTC", IANA names ("Europe/Berlin", from the system's tzdata), POSIX TZ strings
// ("CET-1CEST,M3.5.0,M10.5.0/3", as fail2ban's tests use) and "local" (the TZ environment
// variable, else /etc/localtime). A local time that occurs twice (the repeated hour when daylight
// saving ends) resolves to the earlier instant; one that does not exist (the skipped hour) is
// shifted forward by the gap. Copyable; safe to share between threads once made.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/timestamp.h"

namespace mxir {

// For a name that is not a zone ("JST", "Tokyo", "PST"): the IANA name(s) the user probably
// meant ("Asia/Tokyo"), or "" when nothing fits.
std::string SuggestZoneName(std::string_view name);

class TimeZone {
 public:
  static TimeZone Utc();
  static Result<TimeZone> FromName(std::string_view name);

  // `local` is a Timestamp whose civil fields are the wall-clock reading.
  Timestamp LocalToUtc(Timestamp local) const;
  // Offset east of UTC, in seconds, at the instant `utc`.
  int64_t OffsetAt(Timestamp utc) const;
  Timestamp UtcToLocal(Timestamp utc) const { return utc + OffsetAt(utc) * kMicrosPerSecond; }
  // The zone's abbreviation at `utc` ("JST", "CET", "CEST"; "UTC" for UTC; some zones have only
  // a numeric one like "+03").
  std::string AbbreviationAt(Timestamp utc) const;
  const std::string& name() const { return name_; }

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
  std::string name_;
};

}  // namespace mxir
