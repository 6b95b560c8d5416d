#include "logs/log_time.h"

#include <gtest/gtest.h>

namespace mxir::logs {
namespace {

Timestamp Utc(const char* text) { return ParseTimestamp(text).value(); }

LogTime Make(const char* zone = "UTC", const char* now = "2005-08-14T10:00:00Z",
             std::optional<int> year = std::nullopt) {
  return LogTime(TimeZone::FromName(zone).value(), Utc(now), year);
}

TEST(LogTimeTest, SyslogTakesTheYearOfNow) {
  LogTime t = Make();
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("Aug  3 15:30:49 host x: y", &ts, &used));
  EXPECT_EQ(ts, Utc("2005-08-03T15:30:49Z"));
  EXPECT_EQ(used, 16u);
  ASSERT_TRUE(t.ParsePrefix("Aug 3 15:30:49 host", &ts, &used));  // unpadded day
  EXPECT_EQ(ts, Utc("2005-08-03T15:30:49Z"));
}

TEST(LogTimeTest, DateMoreThanADayAheadIsLastYear) {
  LogTime t = Make();
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("Dec 12 11:19:11 x", &ts, &used));
  EXPECT_EQ(ts, Utc("2004-12-12T11:19:11Z"));
  ASSERT_TRUE(t.ParsePrefix("Aug 15 09:00:00 x", &ts, &used));  // within a day: this year
  EXPECT_EQ(ts, Utc("2005-08-15T09:00:00Z"));
  ASSERT_TRUE(t.ParsePrefix("Aug 15 10:00:01 x", &ts, &used));  // just over a day ahead
  EXPECT_EQ(ts, Utc("2004-08-15T10:00:01Z"));
}

TEST(LogTimeTest, FixedYearOverrides) {
  LogTime t = Make("UTC", "2005-08-14T10:00:00Z", 2001);
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("Dec 12 11:19:11 x", &ts, &used));
  EXPECT_EQ(ts, Utc("2001-12-12T11:19:11Z"));
}

TEST(LogTimeTest, ZoneWithDaylightSaving) {
  LogTime t = Make("CET-01CEST-02,M3.5.0,M10.5.0");
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("Aug  3 15:30:49 x", &ts, &used));  // CEST, +2
  EXPECT_EQ(ts, Utc("2005-08-03T13:30:49Z"));
  ASSERT_TRUE(t.ParsePrefix("Jan 29 05:32:50 x", &ts, &used));  // CET, +1
  EXPECT_EQ(ts, Utc("2005-01-29T04:32:50Z"));
}

TEST(LogTimeTest, Rfc3339AndIso) {
  LogTime t = Make("CET-01CEST-02,M3.5.0,M10.5.0");
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("2026-11-23T01:02:03.5+01:00 host", &ts, &used));
  EXPECT_EQ(ts, Utc("2026-11-23T00:02:03.500000Z"));
  ASSERT_TRUE(t.ParsePrefix("2026-11-23T01:02:03.123456789Z host", &ts, &used));
  EXPECT_EQ(ts, Utc("2026-11-23T01:02:03.123456Z"));
  ASSERT_TRUE(t.ParsePrefix("2013-08-11 03:56:40 auth", &ts, &used));  // local, CEST
  EXPECT_EQ(ts, Utc("2013-08-11T01:56:40Z"));
}

TEST(LogTimeTest, Tai64n) {
  LogTime t = Make();
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("@400000004c91b044077a9e94 imap-login: x", &ts, &used));
  EXPECT_EQ(ts.seconds(), 0x4c91b044);
  EXPECT_EQ(ts.micros() % 1000000, 0x077a9e94 / 1000);
  EXPECT_FALSE(t.ParsePrefix("@40000000zzzz", &ts, &used));
  // Labels past year 9999 (found by the fuzzer: they overflowed microseconds) are not times.
  EXPECT_FALSE(t.ParsePrefix("@4000fff84c91b044077a9e94 imap-login: x", &ts, &used));
  EXPECT_FALSE(t.ParsePrefix("@7fffffffffffffff077a9e94 x", &ts, &used));
  EXPECT_FALSE(t.ParsePrefix("@400000004c91b044ffffffff x", &ts, &used));  // nanoseconds > 1e9
}

TEST(LogTimeTest, OtherMailFormats) {
  LogTime t = Make();
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("22-06-2014 09:56:12   smtp: x", &ts, &used));  // Domino
  EXPECT_EQ(ts, Utc("2014-06-22T09:56:12Z"));
  ASSERT_TRUE(t.ParsePrefix("10/06/2013 15:50:41 [LOGIN_ERROR]", &ts, &used));  // SquirrelMail
  EXPECT_EQ(ts, Utc("2013-10-06T15:50:41Z"));
  ASSERT_TRUE(t.ParsePrefix("Apr-07-13 07:08:36 [SSL-out]", &ts, &used));  // ASSP
  EXPECT_EQ(ts, Utc("2013-04-07T07:08:36Z"));
  ASSERT_TRUE(t.ParsePrefix("[17/Jun/2011 17:00:45] Attempt", &ts, &used));  // Kerio
  EXPECT_EQ(ts, Utc("2011-06-17T17:00:45Z"));
  ASSERT_TRUE(t.ParsePrefix("[22-Jan-2013 22:28:21 +0200]: FAILED", &ts, &used));  // Roundcube
  EXPECT_EQ(ts, Utc("2013-01-22T20:28:21Z"));
  ASSERT_TRUE(t.ParsePrefix("Sat Dec 28 19:03:53 2013 - [1]", &ts, &used));  // OpenWebMail
  EXPECT_EQ(ts, Utc("2013-12-28T19:03:53Z"));
}

TEST(LogTimeTest, RejectsGarbage) {
  LogTime t = Make();
  Timestamp ts;
  size_t used = 0;
  for (const char* bad :
       {"", "x", "Foo 12 10:00:00", "Aug 32 10:00:00", "Aug 12 25:00:00", "2026-13-01 10:00:00",
        "2026-11-23", "[1/Xyz/2011 10:00:00]", "\xff\xfe\x00garbage", "@4000"}) {
    EXPECT_FALSE(t.ParsePrefix(bad, &ts, &used)) << bad;
  }
}

}  // namespace
}  // namespace mxir::logs
