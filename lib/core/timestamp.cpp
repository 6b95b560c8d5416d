#include "core/timestamp.h"

#include <cstdio>
#include <cstring>

namespace mxir {

int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(y + (m <= 2));
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

Timestamp Timestamp::FromCivil(const CivilTime& c) {
  int64_t days = DaysFromCivil(c.year, c.month, c.day);
  int64_t secs = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return Timestamp(secs * kMicrosPerSecond + c.micros);
}

CivilTime Timestamp::ToCivil() const {
  int64_t days = us_ >= 0 ? us_ / kMicrosPerDay : -((-us_ + kMicrosPerDay - 1) / kMicrosPerDay);
  int64_t rest = us_ - days * kMicrosPerDay;
  CivilTime c;
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.hour = static_cast<int>(rest / kMicrosPerHour);
  c.minute = static_cast<int>(rest / kMicrosPerMinute % 60);
  c.second = static_cast<int>(rest / kMicrosPerSecond % 60);
  c.micros = static_cast<int>(rest % kMicrosPerSecond);
  return c;
}

namespace {
inline char* PutDigits(char* p, int64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}
}  // namespace

void Timestamp::AppendTo(std::string& out) const {
  // Consecutive events mostly share their second: its "YYYY-MM-DDTHH:MM:SS" is kept per thread
  // (for the years 1970 to 9999, where the text has that fixed width).
  constexpr int64_t kYear10000 = int64_t{253402300800} * kMicrosPerSecond;
  thread_local int64_t cached_second = -1;
  thread_local char cached[19];
  const bool cacheable = us_ >= 0 && us_ < kYear10000;
  const int64_t second = cacheable ? us_ / kMicrosPerSecond : -1;
  if (cacheable && second == cached_second) {
    char buf[27];
    std::memcpy(buf, cached, 19);
    buf[19] = '.';
    PutDigits(buf + 20, us_ % kMicrosPerSecond, 6);
    buf[26] = 'Z';
    out.append(buf, 27);
    return;
  }
  CivilTime c = ToCivil();
  char buf[40];
  char* p = buf;
  if (c.year < 0 || c.year > 9999) {
    p += std::snprintf(buf, sizeof buf, "%d", c.year);
  } else {
    p = PutDigits(p, c.year, 4);
  }
  *p++ = '-';
  p = PutDigits(p, c.month, 2);
  *p++ = '-';
  p = PutDigits(p, c.day, 2);
  *p++ = 'T';
  p = PutDigits(p, c.hour, 2);
  *p++ = ':';
  p = PutDigits(p, c.minute, 2);
  *p++ = ':';
  p = PutDigits(p, c.second, 2);
  if (cacheable) {
    std::memcpy(cached, buf, 19);
    cached_second = second;
  }
  *p++ = '.';
  p = PutDigits(p, c.micros, 6);
  *p++ = 'Z';
  out.append(buf, p);
}

std::string Timestamp::ToString() const {
  std::string s;
  AppendTo(s);
  return s;
}

std::string Timestamp::DateString() const { return ToString().substr(0, 10); }

namespace {

bool ReadInt(std::string_view s, size_t& i, int digits, int* out) {
  if (i + digits > s.size()) return false;
  int v = 0;
  for (int k = 0; k < digits; ++k) {
    char c = s[i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  i += digits;
  *out = v;
  return true;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

Result<Timestamp> ParseTimestamp(std::string_view s) {
  auto bad = [&](const char* why) {
    return MakeError(
        ErrorCode::kInvalidInput,
        "'" + std::string(s) + "' is not a time (" + why +
            "; expected RFC 3339 like 2026-11-23T14:05:00Z or a date like 2026-11-23)");
  };
  CivilTime c;
  size_t i = 0;
  if (!ReadInt(s, i, 4, &c.year) || i >= s.size() || s[i++] != '-' || !ReadInt(s, i, 2, &c.month) ||
      i >= s.size() || s[i++] != '-' || !ReadInt(s, i, 2, &c.day)) {
    return bad("bad date");
  }
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > DaysInMonth(c.year, c.month)) {
    return bad("no such date");
  }
  if (i == s.size()) return Timestamp::FromCivil(c);
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return bad("expected 'T' after the date");
  ++i;
  if (!ReadInt(s, i, 2, &c.hour) || i >= s.size() || s[i++] != ':' ||
      !ReadInt(s, i, 2, &c.minute)) {
    return bad("bad time of day");
  }
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!ReadInt(s, i, 2, &c.second)) return bad("bad seconds");
  }
  if (c.hour > 23 || c.minute > 59 || c.second > 60) return bad("time of day out of range");
  if (c.second == 60) c.second = 59;  // a leap second is folded into the second before
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    int digits = 0;
    int micros = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return bad("empty fraction");
    for (int k = digits; k < 6; ++k) micros *= 10;
    c.micros = micros;
  }
  int64_t offset_s = 0;
  if (i == s.size()) {
    // No zone designator: RFC 3339 requires one, but a user typing --since 2026-11-23T10:00
    // means UTC (the contract's zone).
  } else if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh = 0, om = 0;
    if (!ReadInt(s, i, 2, &oh)) return bad("bad zone offset");
    if (i < s.size() && s[i] == ':') ++i;
    if (!ReadInt(s, i, 2, &om)) return bad("bad zone offset");
    if (oh > 23 || om > 59) return bad("zone offset out of range");
    offset_s = sign * (oh * 3600 + om * 60);
  }
  if (i != s.size()) return bad("unexpected text after the time");
  return Timestamp::FromCivil(c) - offset_s * kMicrosPerSecond;
}

Result<int64_t> ParseDuration(std::string_view s) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + std::string(s) + "' is not a duration (expected e.g. 90s, 10m, 6h, 7d)");
  };
  if (s.empty()) return bad();
  size_t i = 0;
  int64_t value = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    value = value * 10 + (s[i] - '0');
    if (value > 100000000000LL) return bad();
    ++i;
  }
  if (i == 0) return bad();
  std::string_view unit = s.substr(i);
  int64_t mult;
  if (unit.empty() || unit == "s") {
    mult = kMicrosPerSecond;
  } else if (unit == "ms") {
    mult = 1000;
  } else if (unit == "m" || unit == "min") {
    mult = kMicrosPerMinute;
  } else if (unit == "h") {
    mult = kMicrosPerHour;
  } else if (unit == "d") {
    mult = kMicrosPerDay;
  } else if (unit == "w") {
    mult = 7 * kMicrosPerDay;
  } else {
    return bad();
  }
  return value * mult;
}

}  // namespace mxir
