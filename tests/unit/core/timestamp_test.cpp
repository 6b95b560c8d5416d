#include "core/timestamp.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/time_zone.h"

namespace mxir {
namespace {

TEST(Timestamp, FormatsWithMicroseconds) {
  auto t = ParseTimestamp("2026-11-23T01:02:03.000004Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->ToString(), "2026-11-23T01:02:03.000004Z");
  EXPECT_EQ(Timestamp::FromSeconds(0).ToString(), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Timestamp::FromMicros(-1).ToString(), "1969-12-31T23:59:59.999999Z");
}

TEST(Timestamp, FormattingIsTheSameWithTheCachedSecond) {
  // AppendTo keeps the last second's text: values alternating between seconds, days, signs
  // and the edges of the cacheable range must all print as their own.
  const int64_t values[] = {0,
                            1,
                            999999,
                            1000000,
                            1795395600000000,
                            1795395600999999,
                            1795395601000000,
                            1795395600000001,
                            -1,
                            -1000000,
                            -1000001,
                            253402300799999999,
                            253402300800000000,
                            1795395600000000};
  const char* want[] = {
      "1970-01-01T00:00:00.000000Z",  "1970-01-01T00:00:00.000001Z", "1970-01-01T00:00:00.999999Z",
      "1970-01-01T00:00:01.000000Z",  "2026-11-23T01:00:00.000000Z", "2026-11-23T01:00:00.999999Z",
      "2026-11-23T01:00:01.000000Z",  "2026-11-23T01:00:00.000001Z", "1969-12-31T23:59:59.999999Z",
      "1969-12-31T23:59:59.000000Z",  "1969-12-31T23:59:58.999999Z", "9999-12-31T23:59:59.999999Z",
      "10000-01-01T00:00:00.000000Z", "2026-11-23T01:00:00.000000Z"};
  for (size_t i = 0; i < std::size(values); ++i) {
    EXPECT_EQ(Timestamp::FromMicros(values[i]).ToString(), want[i]) << values[i];
  }
}

TEST(Timestamp, ParsesOffsetsFractionsAndDates) {
  EXPECT_EQ(ParseTimestamp("2026-11-23T02:02:03+01:00")->ToString(), "2026-11-23T01:02:03.000000Z");
  EXPECT_EQ(ParseTimestamp("2026-11-23t01:02:03.123456789z")->ToString(),
            "2026-11-23T01:02:03.123456Z");
  EXPECT_EQ(ParseTimestamp("2026-11-23 01:02:03.5-0230")->ToString(),
            "2026-11-23T03:32:03.500000Z");
  EXPECT_EQ(ParseTimestamp("2026-11-23")->ToString(), "2026-11-23T00:00:00.000000Z");
  EXPECT_EQ(ParseTimestamp("2024-02-29T00:00:00Z")->DateString(), "2024-02-29");
}

TEST(Timestamp, RejectsBadTimes) {
  for (const char* bad :
       {"", "2026", "2026-13-01", "2025-02-29", "2026-11-23T25:00:00Z", "2026-11-23T10:00:00+25:00",
        "2026-11-23T10:00:00Zjunk", "yesterday", "2026-11-23T10:00:00.Z"}) {
    auto r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().ExitStatus(), 2);
    }
  }
}

TEST(Timestamp, CivilRoundTripOverManyDays) {
  for (int64_t day = -800000; day <= 800000; day += 997) {
    int y, m, d;
    CivilFromDays(day, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), day);
  }
}

TEST(Duration, Parses) {
  EXPECT_EQ(*ParseDuration("90s"), 90 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("10m"), 10 * kMicrosPerMinute);
  EXPECT_EQ(*ParseDuration("6h"), 6 * kMicrosPerHour);
  EXPECT_EQ(*ParseDuration("7d"), 7 * kMicrosPerDay);
  EXPECT_EQ(*ParseDuration("45"), 45 * kMicrosPerSecond);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("6y").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
}

TEST(Clock, HonoursMxirNow) {
  setenv("MXIR_NOW", "2005-08-14T10:00:00Z", 1);
  EXPECT_EQ(DefaultClock().Now().ToString(), "2005-08-14T10:00:00.000000Z");
  EXPECT_TRUE(CheckNowOverride().ok());
  setenv("MXIR_NOW", "not a time", 1);
  EXPECT_FALSE(CheckNowOverride().ok());
  unsetenv("MXIR_NOW");
  EXPECT_GT(DefaultClock().Now().seconds(), 1700000000);
  ManualClock manual(Timestamp::FromSeconds(100));
  manual.Advance(kMicrosPerSecond);
  EXPECT_EQ(manual.Now().seconds(), 101);
}

TEST(TimeZone, PosixStringAsFail2banUses) {
  auto tz = TimeZone::FromName("CET-01CEST-02,M3.5.0,M10.5.0");
  ASSERT_TRUE(tz.ok()) << tz.error().message;
  // Summer: CEST, UTC+2.
  auto local = *ParseTimestamp("2005-08-14T12:00:00Z");  // wall clock 12:00
  EXPECT_EQ(tz->LocalToUtc(local).ToString(), "2005-08-14T10:00:00.000000Z");
  // Winter: CET, UTC+1.
  auto winter = *ParseTimestamp("2004-12-31T12:00:00Z");
  EXPECT_EQ(tz->LocalToUtc(winter).ToString(), "2004-12-31T11:00:00.000000Z");
}

TEST(TimeZone, IanaNameAndDaylightSavingEdges) {
  auto tz = TimeZone::FromName("Europe/Berlin");
  ASSERT_TRUE(tz.ok()) << tz.error().message;
  // 2026-10-25 02:30 happens twice: the earlier instant (CEST, UTC+2) is chosen.
  EXPECT_EQ(tz->LocalToUtc(*ParseTimestamp("2026-10-25T02:30:00Z")).ToString(),
            "2026-10-25T00:30:00.000000Z");
  // 2026-03-29 02:30 does not exist: shifted forward past the gap.
  EXPECT_EQ(tz->LocalToUtc(*ParseTimestamp("2026-03-29T02:30:00Z")).ToString(),
            "2026-03-29T01:30:00.000000Z");
  EXPECT_EQ(tz->OffsetAt(*ParseTimestamp("2026-07-01T00:00:00Z")), 7200);
}

TEST(TimeZone, UtcAndUnknown) {
  auto utc = TimeZone::FromName("UTC");
  ASSERT_TRUE(utc.ok());
  auto t = *ParseTimestamp("2026-01-01T00:00:00Z");
  EXPECT_EQ(utc->LocalToUtc(t), t);
  EXPECT_FALSE(TimeZone::FromName("Mars/Olympus_Mons").ok());
}

}  // namespace
}  // namespace mxir
