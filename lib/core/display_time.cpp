#include "core/display_time.h"

#include <cstdio>
#include <cstdlib>
#include <optional>

namespace mxir {

namespace {

std::optional<TimeZone>& Zone() {
  static std::optional<TimeZone> zone;
  return zone;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "YYYY-MM-DDTHH:MM:SS[.f...]Z" exactly.
bool LooksUtcInstant(std::string_view s) {
  if (s.size() < 20 || s.back() != 'Z') return false;
  static const char kPattern[] = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < 19; ++i) {
    if (kPattern[i] == 'd' ? !IsDigit(s[i]) : s[i] != kPattern[i]) return false;
  }
  if (s.size() == 20) return true;
  if (s[19] != '.') return false;
  for (size_t i = 20; i + 1 < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return s.size() > 21;
}

}  // namespace

Status SetDisplayZone(std::string_view name) {
  std::string chosen(name);
  const char* from = "--tz";
  if (chosen.empty()) {
    const char* env = std::getenv("MXIR_TZ");
    if (env && *env) {
      chosen = env;
      from = "MXIR_TZ";
    }
  }
  if (chosen.empty()) chosen = "local";
  auto tz = TimeZone::FromName(chosen);
  if (!tz.ok()) return tz.error().WithContext(from);
  Zone() = std::move(*tz);
  return Status::Ok();
}

const TimeZone& DisplayZone() {
  auto& z = Zone();
  if (!z) {
    auto tz = TimeZone::FromName("local");
    z = tz.ok() ? *tz : TimeZone::Utc();
  }
  return *z;
}

std::string DisplayTime(Timestamp t) {
  const TimeZone& zone = DisplayZone();
  CivilTime c = zone.UtcToLocal(t).ToCivil();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf + zone.AbbreviationAt(t);
}

std::string DisplayTimeText(std::string_view text) {
  if (!LooksUtcInstant(text)) return std::string(text);
  auto t = ParseTimestamp(text);
  if (!t.ok()) return std::string(text);
  return DisplayTime(*t);
}

std::string DisplayTimesInText(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    // An instant starts with four digits and has 'T' at offset 10.
    if (i + 20 <= text.size() && IsDigit(text[i]) && text[i + 10] == 'T' &&
        (i == 0 || !IsDigit(text[i - 1]))) {
      size_t end = i + 19;
      if (end < text.size() && text[end] == '.') {
        ++end;
        while (end < text.size() && IsDigit(text[end])) ++end;
      }
      if (end < text.size() && text[end] == 'Z' && LooksUtcInstant(text.substr(i, end + 1 - i))) {
        out += DisplayTimeText(text.substr(i, end + 1 - i));
        i = end + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace mxir
