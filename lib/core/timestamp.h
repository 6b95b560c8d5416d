// Timestamp: a UTC instant in microseconds since the Unix epoch, with RFC 3339 text forms.
//
// Formatting always gives "YYYY-MM-DDTHH:MM:SS.ffffffZ" (the contract's form). Parsing accepts
// RFC 3339 with any fraction (truncated to microseconds) and any offset, a space instead of 'T',
// and a bare date ("2026-11-23" = midnight UTC). Also: civil-date arithmetic without time zones,
// and durations ("90s", "10m", "6h", "7d").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir {

struct CivilTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int micros = 0;
};

// Days since 1970-01-01 for a proleptic Gregorian date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int year, int month, int day);
void CivilFromDays(int64_t days, int* year, int* month, int* day);

class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp FromMicros(int64_t us) { return Timestamp(us); }
  static constexpr Timestamp FromSeconds(int64_t s) { return Timestamp(s * 1000000); }
  static Timestamp FromCivil(const CivilTime& c);

  constexpr int64_t micros() const { return us_; }
  constexpr int64_t seconds() const {
    return us_ >= 0 ? us_ / 1000000 : -((-us_ + 999999) / 1000000);
  }
  double seconds_double() const { return static_cast<double>(us_) / 1e6; }
  CivilTime ToCivil() const;

  std::string ToString() const;           // RFC 3339 UTC with microseconds
  void AppendTo(std::string& out) const;  // same, appended (hot paths)
  std::string DateString() const;         // "YYYY-MM-DD"

  constexpr Timestamp operator+(int64_t us) const { return Timestamp(us_ + us); }
  constexpr Timestamp operator-(int64_t us) const { return Timestamp(us_ - us); }
  constexpr int64_t operator-(Timestamp o) const { return us_ - o.us_; }
  friend constexpr bool operator==(Timestamp a, Timestamp b) { return a.us_ == b.us_; }
  friend constexpr auto operator<=>(Timestamp a, Timestamp b) { return a.us_ <=> b.us_; }

 private:
  constexpr explicit Timestamp(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

// Parses RFC 3339 (or a bare date); the error names the text and the expected form.
Result<Timestamp> ParseTimestamp(std::string_view text);

// "90s", "10m", "6h", "7d", "2w" or plain seconds ("45") -> microseconds.
Result<int64_t> ParseDuration(std::string_view text);

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

}  // namespace mxir
