#include "core/time_zone.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>

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
    std::string hint = SuggestZoneName(name);
    return MakeError(
        ErrorCode::kInvalidInput,
        "unknown time zone '" + name + "'" +
            (hint.empty() ? std::string() : ": did you mean " + hint + "?") +
            " (use an IANA name like Asia/Tokyo or Europe/Berlin, a POSIX TZ string, UTC or "
            "local)");
  }
  TimeZone tz;
  tz.impl_ = impl;
  tz.name_ = name;
  return tz;
}

std::string TimeZone::AbbreviationAt(Timestamp utc) const {
  if (!impl_ || (!impl_->iana && !impl_->posix)) return "UTC";
  SysSeconds t{Seconds{utc.seconds()}};
  if (impl_->posix) return impl_->posix->get_info(t).abbrev;
  return impl_->iana->get_info(t).abbrev;
}

std::string SuggestZoneName(std::string_view raw) {
  std::string name;
  for (char c : raw) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // Abbreviations people write in logs and tickets; the zone most people mean by each.
  static const std::pair<const char*, const char*> kAbbrev[] = {
      {"JST", "Asia/Tokyo"},
      {"KST", "Asia/Seoul"},
      {"HKT", "Asia/Hong_Kong"},
      {"SGT", "Asia/Singapore"},
      {"IST", "Asia/Kolkata (India) or Europe/Dublin (Ireland)"},
      {"CST", "America/Chicago (US) or Asia/Shanghai (China)"},
      {"CDT", "America/Chicago"},
      {"EST", "America/New_York"},
      {"EDT", "America/New_York"},
      {"MST", "America/Denver"},
      {"MDT", "America/Denver"},
      {"PST", "America/Los_Angeles"},
      {"PDT", "America/Los_Angeles"},
      {"AKST", "America/Anchorage"},
      {"HST", "Pacific/Honolulu"},
      {"BST", "Europe/London"},
      {"CET", "Europe/Berlin (or your city in Europe)"},
      {"CEST", "Europe/Berlin (or your city in Europe)"},
      {"EET", "Europe/Athens (or your city)"},
      {"EEST", "Europe/Athens (or your city)"},
      {"WET", "Europe/Lisbon"},
      {"MSK", "Europe/Moscow"},
      {"AEST", "Australia/Sydney"},
      {"AEDT", "Australia/Sydney"},
      {"NZST", "Pacific/Auckland"},
      {"NZDT", "Pacific/Auckland"},
  };
  for (const auto& [abbr, zone] : kAbbrev) {
    if (name == abbr) return zone;
  }
  // A city or the last part of an IANA name ("Tokyo", "new york").
  std::string city;
  for (char c : raw)
    city += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (city.size() < 3) return "";
  std::string found;
  try {
    for (const auto& z : date::get_tzdb().zones) {
      std::string zn(z.name());
      size_t slash = zn.rfind('/');
      if (slash == std::string::npos) continue;
      std::string last;
      for (char c : zn.substr(slash + 1))
        last += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (last == city) {
        if (!found.empty()) found += " or ";
        found += zn;
      }
    }
  } catch (const std::exception&) {
    return "";
  }
  return found;
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
