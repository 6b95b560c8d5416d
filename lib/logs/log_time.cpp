#include "logs/log_time.h"

#include <cctype>

namespace mxir::logs {
namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[*pos].
inline bool Digits(std::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

// Reads 1 or 2 digits.
inline bool Digits12(std::string_view text, size_t* pos, int* out) {
  if (*pos >= text.size() || !IsDigit(text[*pos])) return false;
  int v = text[(*pos)++] - '0';
  if (*pos < text.size() && IsDigit(text[*pos])) v = v * 10 + (text[(*pos)++] - '0');
  *out = v;
  return true;
}

inline bool Char(std::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

// "HH:MM:SS" and an optional ",fff"/".ffffff" fraction.
bool ClockTime(std::string_view text, size_t* pos, CivilTime* c) {
  if (!Digits(text, pos, 2, &c->hour) || !Char(text, pos, ':') ||
      !Digits(text, pos, 2, &c->minute) || !Char(text, pos, ':') ||
      !Digits(text, pos, 2, &c->second)) {
    return false;
  }
  if (c->hour > 23 || c->minute > 59 || c->second > 60) return false;
  if (*pos + 1 < text.size() && (text[*pos] == '.' || text[*pos] == ',') &&
      IsDigit(text[*pos + 1])) {
    ++*pos;
    int micros = 0, digits = 0;
    while (*pos < text.size() && IsDigit(text[*pos])) {
      if (digits < 6) {
        micros = micros * 10 + (text[*pos] - '0');
        ++digits;
      }
      ++*pos;
    }
    while (digits++ < 6) micros *= 10;
    c->micros = micros;
  }
  return true;
}

// Optional "Z", "+hh:mm", "+hhmm", " +hhmm" after a time; returns the offset in seconds.
bool Offset(std::string_view text, size_t* pos, std::optional<int>* offset) {
  size_t p = *pos;
  if (p < text.size() && text[p] == ' ' && p + 1 < text.size() &&
      (text[p + 1] == '+' || text[p + 1] == '-') && p + 5 < text.size() + 0 &&
      IsDigit(text[p + 2])) {
    ++p;
  }
  if (p < text.size() && text[p] == 'Z') {
    *offset = 0;
    *pos = p + 1;
    return true;
  }
  if (p < text.size() && (text[p] == '+' || text[p] == '-')) {
    int sign = text[p] == '-' ? -1 : 1;
    ++p;
    int hh = 0, mm = 0;
    if (!Digits(text, &p, 2, &hh)) return false;
    Char(text, &p, ':');
    if (!Digits(text, &p, 2, &mm)) return false;
    *offset = sign * (hh * 3600 + mm * 60);
    *pos = p;
  }
  return true;
}

size_t SkipSpaces(std::string_view text, size_t pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  return pos;
}

bool ValidDate(const CivilTime& c) {
  return c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.year >= 1970 &&
         c.year <= 9999;
}

}  // namespace

int MonthFromName(std::string_view name) {
  if (name.size() < 3) return 0;
  static constexpr const char* kNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
  char a = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  char b = static_cast<char>(std::tolower(static_cast<unsigned char>(name[1])));
  char c = static_cast<char>(std::tolower(static_cast<unsigned char>(name[2])));
  for (int i = 0; i < 12; ++i) {
    if (kNames[i][0] == a && kNames[i][1] == b && kNames[i][2] == c) return i + 1;
  }
  return 0;
}

LogTime::LogTime(TimeZone zone, Timestamp now, std::optional<int> fixed_year)
    : zone_(std::move(zone)), fixed_year_(fixed_year) {
  SetNow(now);
}

void LogTime::SetNow(Timestamp now) {
  now_ = now;
  CivilTime c = zone_.UtcToLocal(now_).ToCivil();
  now_year_ = c.year;
  now_month_ = c.month;
  last_syslog_len_ = 0;  // its year was inferred against the old "now"
}

Timestamp LogTime::Resolve(const CivilTime& local) {
  CivilTime hour = local;
  hour.minute = hour.second = hour.micros = 0;
  int64_t hour_key = Timestamp::FromCivil(hour).micros();
  if (hour_key != cached_hour_) {
    Timestamp as_utc = Timestamp::FromMicros(hour_key);
    cached_offset_ = as_utc - zone_.LocalToUtc(as_utc);
    cached_hour_ = hour_key;
  }
  Timestamp t = Timestamp::FromCivil(local) - cached_offset_;
  // The repeated hour when daylight saving ends: the zone gives the earlier instant. When that
  // lies well before the line read just before, while the later instant follows it, the log
  // is in the hour's second pass: take the later one. (Only checked when time runs backwards.)
  constexpr int64_t kSlack = 10 * 60 * kMicrosPerSecond;
  if (has_last_ && t < last_ts_ - kSlack) {
    Timestamp wall = Timestamp::FromCivil(local);
    for (int64_t off :
         {zone_.OffsetAt(t - 3 * kMicrosPerHour), zone_.OffsetAt(t + 3 * kMicrosPerHour)}) {
      Timestamp other = wall - off * kMicrosPerSecond;
      if (other > t && zone_.OffsetAt(other) == off && other >= last_ts_ - kSlack) return other;
    }
  }
  return t;
}

Timestamp LogTime::FromLocal(const CivilTime& local) {
  Timestamp t = Resolve(local);
  last_ts_ = t;
  has_last_ = true;
  return t;
}

namespace {

int MonthDays(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// The latest year <= `year` in which month/day exists (Feb 29: a leap year, at most 8 back).
std::optional<int> YearWithDay(int year, int month, int day) {
  for (int y = year; y > year - 9; --y) {
    if (day <= MonthDays(y, month)) return y;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Timestamp> LogTime::FromYearless(int month, int day, int hour, int minute, int second,
                                               int micros) {
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  if (fixed_year_) {
    if (day > MonthDays(*fixed_year_, month)) return std::nullopt;
  } else if (day > MonthDays(2000, month)) {  // 2000: a leap year, every month at its longest
    return std::nullopt;
  }
  std::optional<int> year = fixed_year_ ? fixed_year_ : YearWithDay(now_year_, month, day);
  if (!year) return std::nullopt;
  CivilTime c{*year, month, day, hour, minute, second, micros};
  Timestamp t = Resolve(c);
  if (!fixed_year_) {
    if (t > now_ + kMicrosPerDay) {
      std::optional<int> before = YearWithDay(c.year - 1, month, day);
      if (!before) return std::nullopt;
      c.year = *before;
      t = Resolve(c);
    } else if (month == 1 && now_month_ == 12) {
      // Just past New Year on the log host (its clock a little ahead, or a follower still
      // running): a January line within a day after "now" belongs to the coming year.
      CivilTime next = c;
      ++next.year;
      Timestamp t2 = Resolve(next);
      if (t2 <= now_ + kMicrosPerDay) t = t2;
    }
  }
  last_ts_ = t;
  has_last_ = true;
  return t;
}

bool LogTime::ParseSyslog(std::string_view text, Timestamp* ts, size_t* used) {
  // "Mmm dd HH:MM:SS" with the day space- or zero-padded or bare ("Aug 3").
  if (text.size() < 14 || text[3] != ' ') return false;
  // Busy logs repeat the same second many times: reuse the last conversion.
  if (text.size() > 15 && text[15] == ' ' && last_syslog_len_ == 15 &&
      text.compare(0, 15, std::string_view(last_syslog_, 15)) == 0) {
    *ts = last_syslog_ts_;
    *used = SkipSpaces(text, 15);
    return true;
  }
  int month = MonthFromName(text.substr(0, 3));
  if (month == 0) return false;
  size_t pos = SkipSpaces(text, 4);
  CivilTime c;
  if (!Digits12(text, &pos, &c.day) || !Char(text, &pos, ' ')) return false;
  if (!ClockTime(text, &pos, &c)) return false;
  if (c.day < 1 || c.day > 31) return false;
  std::optional<Timestamp> t = FromYearless(month, c.day, c.hour, c.minute, c.second, c.micros);
  if (!t) return false;  // "Feb 30", "Apr 31": no such day
  *ts = *t;
  if (pos == 15) {
    text.copy(last_syslog_, 15);
    last_syslog_len_ = 15;
    last_syslog_ts_ = *ts;
  }
  *used = SkipSpaces(text, pos);
  return true;
}

bool LogTime::ParseIso(std::string_view text, Timestamp* ts, size_t* used) {
  size_t pos = 0;
  CivilTime c;
  if (!Digits(text, &pos, 4, &c.year) || !Char(text, &pos, '-') ||
      !Digits12(text, &pos, &c.month) || !Char(text, &pos, '-') || !Digits12(text, &pos, &c.day)) {
    return false;
  }
  if (!Char(text, &pos, 'T') && !Char(text, &pos, ' ')) return false;
  if (!ClockTime(text, &pos, &c) || !ValidDate(c)) return false;
  std::optional<int> offset;
  if (!Offset(text, &pos, &offset)) return false;
  *ts = offset ? Timestamp::FromCivil(c) - *offset * kMicrosPerSecond : FromLocal(c);
  *used = SkipSpaces(text, pos);
  return true;
}

bool LogTime::ParseTai64n(std::string_view text, Timestamp* ts, size_t* used) {
  // '@' + 16 hex digits of seconds (2^62 + t) + 8 of nanoseconds. fail2ban reads the label as
  // plain Unix time (no leap-second table), and so do we.
  if (text.size() < 25 || text[0] != '@') return false;
  uint64_t secs = 0, nanos = 0;
  for (size_t i = 1; i < 25; ++i) {
    char ch = text[i];
    int v = IsDigit(ch) ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
    if (v < 0) return false;
    if (i <= 16) {
      secs = secs * 16 + v;
    } else {
      nanos = nanos * 16 + v;
    }
  }
  if (secs < (uint64_t{1} << 62)) return false;
  // Years 1970 to 9999 only: a larger label is not a time (and would overflow microseconds).
  constexpr uint64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (secs - (uint64_t{1} << 62) > kMaxUnixSeconds || nanos > 999999999) return false;
  int64_t unix_secs = static_cast<int64_t>(secs - (uint64_t{1} << 62));
  *ts = Timestamp::FromSeconds(unix_secs) + static_cast<int64_t>(nanos / 1000);
  *used = SkipSpaces(text, 25);
  return true;
}

// "22-06-2014 09:56:12" (day first, Domino) or "10/06/2013 15:50:41" (month first).
bool LogTime::ParseNumericDate(std::string_view text, Timestamp* ts, size_t* used) {
  size_t pos = 0;
  CivilTime c;
  int a = 0, b = 0;
  if (!Digits(text, &pos, 2, &a) || pos >= text.size()) return false;
  char sep = text[pos];
  if (sep != '-' && sep != '/') return false;
  ++pos;
  if (!Digits(text, &pos, 2, &b) || !Char(text, &pos, sep) || !Digits(text, &pos, 4, &c.year) ||
      !Char(text, &pos, ' ')) {
    return false;
  }
  c.day = sep == '-' ? a : b;
  c.month = sep == '-' ? b : a;
  pos = SkipSpaces(text, pos);
  if (!ClockTime(text, &pos, &c) || !ValidDate(c)) return false;
  *ts = FromLocal(c);
  *used = SkipSpaces(text, pos);
  return true;
}

bool LogTime::ParseYearSlashDate(std::string_view text, Timestamp* ts, size_t* used) {
  size_t pos = 0;
  CivilTime c;
  if (!Digits(text, &pos, 4, &c.year) || !Char(text, &pos, '/') ||
      !Digits(text, &pos, 2, &c.month) || !Char(text, &pos, '/') ||
      !Digits(text, &pos, 2, &c.day) || !Char(text, &pos, ' ') || !ClockTime(text, &pos, &c) ||
      !ValidDate(c)) {
    return false;
  }
  *ts = FromLocal(c);
  *used = SkipSpaces(text, pos);
  return true;
}

// "[17/Jun/2011 17:00:45]" (Kerio) or "[22-Jan-2013 22:28:21 +0200]" (Roundcube), then an
// optional ':'.
bool LogTime::ParseBracketed(std::string_view text, Timestamp* ts, size_t* used) {
  size_t pos = 1;
  CivilTime c;
  if (!Digits12(text, &pos, &c.day) || pos >= text.size()) return false;
  char sep = text[pos++];
  if ((sep != '/' && sep != '-') || pos + 3 > text.size()) return false;
  c.month = MonthFromName(text.substr(pos, 3));
  pos += 3;
  if (c.month == 0 || !Char(text, &pos, sep) || !Digits(text, &pos, 4, &c.year) ||
      !Char(text, &pos, ' ') || !ClockTime(text, &pos, &c) || !ValidDate(c)) {
    return false;
  }
  std::optional<int> offset;
  if (!Offset(text, &pos, &offset) || !Char(text, &pos, ']')) return false;
  Char(text, &pos, ':');
  *ts = offset ? Timestamp::FromCivil(c) - *offset * kMicrosPerSecond : FromLocal(c);
  *used = SkipSpaces(text, pos);
  return true;
}

// "Apr-07-13 07:08:36" (ASSP: month name, day, two-digit year).
bool LogTime::ParseAssp(std::string_view text, Timestamp* ts, size_t* used) {
  if (text.size() < 18 || text[3] != '-') return false;
  CivilTime c;
  c.month = MonthFromName(text.substr(0, 3));
  size_t pos = 4;
  int yy = 0;
  if (c.month == 0 || !Digits(text, &pos, 2, &c.day) || !Char(text, &pos, '-') ||
      !Digits(text, &pos, 2, &yy) || !Char(text, &pos, ' ') || !ClockTime(text, &pos, &c)) {
    return false;
  }
  c.year = 2000 + yy;
  if (!ValidDate(c)) return false;
  *ts = FromLocal(c);
  *used = SkipSpaces(text, pos);
  return true;
}

// "Sat Dec 28 19:03:53 2013" (ctime form, OpenWebMail).
bool LogTime::ParseWeekday(std::string_view text, Timestamp* ts, size_t* used) {
  if (text.size() < 24 || text[3] != ' ') return false;
  std::string_view rest = text.substr(4);
  if (rest.size() < 15 || rest[3] != ' ') return false;
  CivilTime c;
  c.month = MonthFromName(rest.substr(0, 3));
  size_t pos = SkipSpaces(rest, 4);
  if (c.month == 0 || !Digits12(rest, &pos, &c.day) || !Char(rest, &pos, ' ') ||
      !ClockTime(rest, &pos, &c) || !Char(rest, &pos, ' ') || !Digits(rest, &pos, 4, &c.year) ||
      !ValidDate(c)) {
    return false;
  }
  *ts = FromLocal(c);
  *used = 4 + SkipSpaces(rest, pos);
  return true;
}

bool LogTime::ParsePrefix(std::string_view text, Timestamp* ts, size_t* used) {
  if (text.empty()) return false;
  char c0 = text[0];
  if (IsDigit(c0)) {
    if (text.size() > 4 && IsDigit(text[1]) && IsDigit(text[2]) && IsDigit(text[3]) &&
        text[4] == '-') {
      return ParseIso(text, ts, used);
    }
    if (text.size() > 4 && IsDigit(text[1]) && IsDigit(text[2]) && IsDigit(text[3]) &&
        text[4] == '/') {
      return ParseYearSlashDate(text, ts, used);
    }
    return ParseNumericDate(text, ts, used);
  }
  if (c0 == '@') return ParseTai64n(text, ts, used);
  if (c0 == '[') return ParseBracketed(text, ts, used);
  if (std::isalpha(static_cast<unsigned char>(c0))) {
    if (text.size() > 3 && text[3] == '-') return ParseAssp(text, ts, used);
    if (MonthFromName(text.substr(0, 3)) != 0) return ParseSyslog(text, ts, used);
    return ParseWeekday(text, ts, used);
  }
  return false;
}

}  // namespace mxir::logs
