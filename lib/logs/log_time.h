// LogTime: the timestamps at the start of mail-server log lines, turned into UTC instants.
//
// Understands classic syslog without a year ("Aug  3 15:30:49", optional ".ffffff"), RFC 3339 /
// ISO 8601 with or without fraction and offset ("2013-08-11 03:56:40",
// "2026-11-23T01:02:03.5+01:00"), TAI64N labels ("@400000004c91b044077a9e94"), and the dated forms
// of the other mail formats (Domino "22-06-2014 09:56:12", SquirrelMail "10/06/2013 15:50:41", ASSP
// "Apr-07-13 07:08:36", Kerio "[17/Jun/2011 17:00:45]", Roundcube "[22-Jan-2013 22:28:21 +0200]",
// OpenWebMail "Sat Dec 28 19:03:53 2013").
//
// A stamp without an offset is wall-clock time in the configured zone (--tz, default local). A
// stamp without a year takes the year of "now" (Clock; MXIR_NOW in tests), or the year before
// when that date would be more than a day after now (fail2ban's rule), or the year after for a
// January date within a day after a December "now"; a fixed year (--year) overrides. "Feb 29"
// takes the latest leap year not after the inferred one (it exists in no other); a day the month
// never has ("Feb 30", "Apr 31"), or "Feb 29" with a fixed non-leap year, is not a stamp. In the
// repeated hour when daylight saving ends, a stamp that would run back an hour from the line
// before it is taken as the hour's second pass. Zone conversions are cached per local hour, so the
// hot path does no zone lookup. One LogTime per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time_zone.h"
#include "core/timestamp.h"

namespace mxir::logs {

class LogTime {
 public:
  LogTime(TimeZone zone, Timestamp now, std::optional<int> fixed_year = std::nullopt);

  // Parses a stamp at the start of `text`. On success sets *ts and *used (the bytes of the stamp
  // and the spaces after it) and returns true.
  bool ParsePrefix(std::string_view text, Timestamp* ts, size_t* used);

  // Single forms, for parsers that find a stamp inside the line. Same out-parameters.
  bool ParseSyslog(std::string_view text, Timestamp* ts, size_t* used);
  bool ParseIso(std::string_view text, Timestamp* ts, size_t* used);
  bool ParseTai64n(std::string_view text, Timestamp* ts, size_t* used);

  // Wall-clock reading in the zone -> UTC.
  Timestamp FromLocal(const CivilTime& local);
  // A month/day without a year -> the inferred year (see above), then UTC; nullopt for a day
  // that month has in no candidate year.
  std::optional<Timestamp> FromYearless(int month, int day, int hour, int minute, int second,
                                        int micros);
  // Moves "now" (a follower calls this as time passes, so a year-less January line read after
  // New Year is not dated a year back).
  void SetNow(Timestamp now);

  const TimeZone& zone() const { return zone_; }

 private:
  // "2026/12/06 21:50:00" (nginx's error.log: year first, slashes).
  bool ParseYearSlashDate(std::string_view text, Timestamp* ts, size_t* used);
  bool ParseNumericDate(std::string_view text, Timestamp* ts, size_t* used);
  bool ParseBracketed(std::string_view text, Timestamp* ts, size_t* used);
  bool ParseAssp(std::string_view text, Timestamp* ts, size_t* used);
  bool ParseWeekday(std::string_view text, Timestamp* ts, size_t* used);
  Timestamp Resolve(const CivilTime& local);  // FromLocal without remembering the result

  TimeZone zone_;
  Timestamp now_;
  std::optional<int> fixed_year_;
  int now_year_ = 1970;
  int now_month_ = 1;
  // The instant of the previous stamp, to place lines in the repeated hour of a DST change.
  Timestamp last_ts_;
  bool has_last_ = false;
  // Cache: local hour (micros since epoch of the local civil hour) -> UTC offset in micros.
  int64_t cached_hour_ = INT64_MIN;
  int64_t cached_offset_ = 0;
  // The last classic syslog stamp ("Mmm dd HH:MM:SS") and its instant.
  char last_syslog_[15] = {};
  size_t last_syslog_len_ = 0;
  Timestamp last_syslog_ts_;
};

// "Jan" .. "Dec" (case-insensitive) -> 1..12, else 0.
int MonthFromName(std::string_view name);

}  // namespace mxir::logs
