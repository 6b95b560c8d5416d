#include "logs/ingester.h"

#include <random>

#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;

TEST(IngesterTest, UnknownAndEmptyLinesAreCountedNotFatal) {
  auto r = IngestLines({"", "complete nonsense", "Nov 23 10:00:00 host unknownd[1]: hello"});
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.counters.Get("lines"), 3);
  EXPECT_EQ(r.counters.Get("unknown_format"), 2);
  EXPECT_EQ(r.counters.Get("empty_lines"), 1);
}

TEST(IngesterTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  std::vector<std::string> lines;
  const std::string seeds[] = {"Nov 23 10:00:00 mx postfix/smtpd[1]: ",
                               "Nov 23 10:00:00 mx dovecot: imap-login: ", "2013-01-04 17:03:46 ",
                               "[17/Jun/2011 17:00:45] ", "@4000000"};
  for (int i = 0; i < 3000; ++i) {
    std::string line = seeds[i % 5];
    int n = rng() % 200;
    for (int j = 0; j < n; ++j) line.push_back(static_cast<char>(rng() % 256));
    lines.push_back(line);
  }
  auto r = IngestLines(lines);
  EXPECT_EQ(r.counters.Get("lines"), 3000);
}

TEST(IngesterTest, ExplicitFormatOnlyUsesThatParser) {
  auto r = IngestLines({"Nov 23 10:00:00 mx dovecot: auth: passwd-file(a,192.0.2.1): unknown "
                        "user"},
                       "postfix");
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.counters.Get("unknown_format"), 1);
}

TEST(IngesterTest, BadOptionsAreUsageErrors) {
  testing::VectorSink sink;
  IngestOptions o;
  o.format = "nosuchformat";
  auto bad = Ingester::Create(o, DefaultClock(), &sink);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ExitStatus(), 2);
  o.format = "auto";
  o.tz = "Not/AZone";
  EXPECT_FALSE(Ingester::Create(o, DefaultClock(), &sink).ok());
}

TEST(IngesterTest, TimeWindowFilters) {
  static ManualClock clock(ParseTimestamp("2026-11-23T12:00:00Z").value());
  testing::VectorSink sink;
  IngestOptions o;
  o.tz = "UTC";
  o.since = ParseTimestamp("2026-11-23T10:00:01Z").value();
  auto ing = Ingester::Create(o, clock, &sink).value();
  {
    auto s = ing->OpenStream("x", "");
    s->IngestLine("Nov 23 10:00:00 mx dovecot: auth: passwd-file(a,192.0.2.1): unknown user", 1);
    s->IngestLine("Nov 23 10:00:02 mx dovecot: auth: passwd-file(b,192.0.2.1): unknown user", 2);
  }
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].user, "b");
  EXPECT_EQ(ing->counters().Get("skipped.outside_time_range"), 1);
}

}  // namespace
}  // namespace mxir::logs
