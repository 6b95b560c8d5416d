#include "core/time_zone.h"

#include <chrono>
#include <cstdlib>
#include <optional>

#include <date/date.h>
#include <date/tz.h>

// date/ptz.h says `using namespace date; using namespace std::chrono;` and then names hh_mm_ss,
// which C++20 has in both; a using-declaration in its namespace settles the lookup.
namespace Posix {
using date::hh_mm_ss;
}  // namespace Posix
#include <date/ptz.h>

namespace mxir {

struct TimeZone::Impl {
  // nullptr/empty for UTC.
  const date::time_zone* iana = nullptr;
  std::optional<Posix::time_zone> posix;
};

namespace {

using Seconds = std::chrono::seconds;
using SysSeconds = date::sys_seconds;

bool LooksPosix(std::string_view s) {
  // POSIX TZ strings carry an offset digit in the name part ("CET-1CEST", "EST5EDT").
  for (char c : s) {
    if (c == '/') return false;
    if ((c >= '0' && c <= '9') || c == ',') return true;
  }
  return false;
}

}  // namespace

TimeZone TimeZone::Utc() {
  TimeZone tz;
  tz.impl_ = std::make_shared<Impl>();
  tz.name_ = "UTC";
  return tz;
}

Result<TimeZone> TimeZone::FromName(std::string_view raw) {
  std::string name(raw);
  if (name == "local") {
    const char* env = std::getenv("TZ");
    if (env && *env) {
      name = env;
      if (name[0] == ':') name.erase(0, 1);
    } else {
      try {
        const date::time_zone* z = date::current_zone();
        TimeZone tz;
        auto impl = std::make_shared<Impl>();
        impl->iana = z;
        tz.impl_ = impl;
        tz.name_ = std::string(z->name());
        return tz;
      } catch (const std::exception&) {
        return Utc();  // no /etc/localtime: UTC is the only sane local zone
      }
    }
  }
  if (name.empty() || name == "UTC" || name == "Z" || name == "Etc/UTC" || name == "UTC0" ||
      name == "GMT") {
    return Utc();
  }
  auto impl = std::make_shared<Impl>();
  try {
    if (LooksPosix(name)) {
      impl->posix.emplace(name);
    } else {
      impl->iana = date::locate_zone(name);
    }
  } catch (const std::exception& e) {
    return MakeError(
        ErrorCode::kInvalidInput,
        "unknown time zone '" + name +
            "' (use an IANA name like Europe/Berlin, a POSIX TZ string, UTC or local)");
  }
  TimeZone tz;
  tz.impl_ = impl;
  tz.name_ = name;
  return tz;
}

int64_t TimeZone::OffsetAt(Timestamp utc) const {
  if (!impl_ || (!impl_->iana && !impl_->posix)) return 0;
  SysSeconds t{Seconds{utc.seconds()}};
  if (impl_->posix) return impl_->posix->get_info(t).offset.count();
  return impl_->iana->get_info(t).offset.count();
}

Timestamp TimeZone::LocalToUtc(Timestamp local) const {
  if (!impl_ || (!impl_->iana && !impl_->posix)) return local;
  // Try the offsets in force just before and after: the first that maps back to this wall time
  // wins, which picks the earlier instant in the repeated hour.
  int64_t guess1 = OffsetAt(local - 36 * kMicrosPerHour);
  int64_t guess2 = OffsetAt(local + 36 * kMicrosPerHour);
  for (int64_t off : {std::max(guess1, guess2), std::min(guess1, guess2)}) {
    Timestamp utc = local - off * kMicrosPerSecond;
    if (OffsetAt(utc) == off) return utc;
  }
  // In the skipped hour: use the offset before the change, which lands after the gap.
  return local - std::min(guess1, guess2) * kMicrosPerSecond;
}

}  // namespace mxir
