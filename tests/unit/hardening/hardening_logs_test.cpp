// Log ingestion under the review's conditions: Dovecot's unkeyed SHA-1 (H2), unlisted failure
// reasons, New Year (M6), the repeated DST hour, rotation and copytruncate while following (M5),
// commits on a busy followed log.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "core/event_json.h"
#include "core/secret_fingerprint.h"
#include "logs/follower.h"
#include "logs/ingester.h"
#include "logs/log_time.h"

namespace mxir::logs {
namespace {

Timestamp Utc(const char* text) { return ParseTimestamp(text).value(); }

class Sink final : public EventSink {
 public:
  void Emit(Event&& e) override { events.push_back(std::move(e)); }
  std::vector<Event> events;
};

struct IngestRun {
  std::vector<Event> events;
  Counters counters;
};

IngestRun Ingest(const std::vector<std::string>& lines, const SecretFingerprinter* fp,
                 const char* now = "2026-11-23T12:00:00Z") {
  ManualClock clock(Utc(now));
  Sink sink;
  IngestOptions o;
  o.tz = "UTC";
  o.fingerprinter = fp;
  auto ing = Ingester::Create(o, clock, &sink).value();
  {
    auto s = ing->OpenStream("t.log", "abc");
    int64_t n = 0;
    for (const auto& l : lines) s->IngestLine(l, ++n);
  }
  return {std::move(sink.events), ing->counters()};
}

// H2: sha1("password")[:8] = 5baa61e4 must never be stored as logged.
TEST(HardeningLogs, DovecotSha1IsKeyedNeverStoredAsLogged) {
  const std::vector<std::string> lines = {
      "Nov 23 10:00:00 mx dovecot: auth: passwd-file(bob,192.0.2.9): Password mismatch (SHA1 of "
      "given password: 5baa61e4)",
      "Nov 23 10:00:01 mx dovecot: auth: passwd-file(bob,192.0.2.9): Password mismatch (SHA1 of "
      "given password: 5BAA61E4)",
      "Nov 23 10:00:02 mx dovecot: auth: passwd-file(bob,192.0.2.9): Password mismatch (SHA1 of "
      "given password: 7c4a8d09)"};
  std::array<uint8_t, 32> key{};
  key[0] = 7;
  SecretFingerprinter fp(key);
  IngestRun r = Ingest(lines, &fp);
  ASSERT_EQ(r.events.size(), 3u);
  for (const auto& e : r.events) {
    std::string json = EventToJson(e);
    EXPECT_EQ(json.find("5baa61e4"), std::string::npos) << json;
    EXPECT_EQ(json.find("5BAA61E4"), std::string::npos) << json;
    EXPECT_EQ(json.find("7c4a8d09"), std::string::npos) << json;
    EXPECT_EQ(e.secret_fp.rfind("dovecot-sha1:", 0), 0u);
    EXPECT_EQ(e.secret_fp.size(), 13u + 16u);
  }
  EXPECT_EQ(r.events[0].secret_fp, r.events[1].secret_fp);  // same guess compares
  EXPECT_NE(r.events[0].secret_fp, r.events[2].secret_fp);
  SecretFingerprinter other(std::array<uint8_t, 32>{});
  EXPECT_NE(Ingest(lines, &other).events[0].secret_fp, r.events[0].secret_fp);  // keyed
  for (const auto& e : Ingest(lines, nullptr).events) EXPECT_EQ(e.secret_fp, "");
}

// Suspicion 6: a backend failure with a reason the parser does not list is counted.
TEST(HardeningLogs, UnlistedDovecotReasonIsCounted) {
  IngestRun r = Ingest(
      {"Nov 23 10:00:00 mx dovecot: auth: checkpassword(bob,192.0.2.9): Login failed"}, nullptr);
  EXPECT_EQ(r.counters.Get("not_understood.dovecot"), 1);
}

// M6: a December "now" and a line a few seconds after midnight.
TEST(HardeningLogs, NewYearLineIsNotAYearEarly) {
  LogTime t(TimeZone::Utc(), Utc("2026-12-31T23:59:59Z"));
  Timestamp ts;
  size_t used = 0;
  ASSERT_TRUE(t.ParsePrefix("Dec 31 23:59:58 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2026-12-31T23:59:58Z"));
  ASSERT_TRUE(t.ParsePrefix("Jan  1 00:00:05 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2027-01-01T00:00:05Z"));
  // An old January line read in December is still last January.
  ASSERT_TRUE(t.ParsePrefix("Jan 20 10:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2026-01-20T10:00:00Z"));
  // A follower started in December: "now" moves on.
  LogTime f(TimeZone::Utc(), Utc("2026-12-20T10:00:00Z"));
  f.SetNow(Utc("2027-01-01T00:10:00Z"));
  ASSERT_TRUE(f.ParsePrefix("Jan  1 00:09:59 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2027-01-01T00:09:59Z"));
}

// Suspicion 11: a year-less "Feb 29" read in a non-leap year was normalised to Mar 1 of that
// year. It belongs to the latest leap year; days no month has are not stamps at all.
TEST(HardeningLogs, YearlessFeb29TakesALeapYear) {
  Timestamp ts;
  size_t used = 0;
  LogTime t(TimeZone::Utc(), Utc("2026-03-05T12:00:00Z"));
  ASSERT_TRUE(t.ParsePrefix("Feb 29 10:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2024-02-29T10:00:00Z"));
  ASSERT_TRUE(t.ParsePrefix("Feb 28 10:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2026-02-28T10:00:00Z"));
  ASSERT_TRUE(t.ParsePrefix("Mar  1 10:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2026-03-01T10:00:00Z"));
  // In a leap year it is this year's, unless that is still ahead (then 4 years back).
  LogTime leap(TimeZone::Utc(), Utc("2028-03-01T00:00:00Z"));
  ASSERT_TRUE(leap.ParsePrefix("Feb 29 23:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2028-02-29T23:00:00Z"));
  LogTime early(TimeZone::Utc(), Utc("2028-02-10T00:00:00Z"));
  ASSERT_TRUE(early.ParsePrefix("Feb 29 23:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2024-02-29T23:00:00Z"));
  // 2100 is not a leap year: 2096.
  LogTime century(TimeZone::Utc(), Utc("2101-06-01T00:00:00Z"));
  ASSERT_TRUE(century.ParsePrefix("Feb 29 01:00:00 mx x", &ts, &used));
  EXPECT_EQ(ts, Utc("2096-02-29T01:00:00Z"));
  for (const char* bad : {"Feb 30 10:00:00 mx x", "Apr 31 10:00:00 mx x", "Feb 31 10:00:00 mx"}) {
    EXPECT_FALSE(t.ParsePrefix(bad, &ts, &used)) << bad;
  }
  LogTime fixed(TimeZone::Utc(), Utc("2026-03-05T12:00:00Z"), 2025);
  EXPECT_FALSE(fixed.ParsePrefix("Feb 29 10:00:00 mx x", &ts, &used));
  // Every day of every month in a seeded sample of "now"s lands on that month and day.
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 400; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t now_s = 946684800 + static_cast<int64_t>((seed >> 16) % (100LL * 365 * 86400));
    LogTime r(TimeZone::Utc(), Timestamp::FromMicros(now_s * 1000000));
    int month = 1 + static_cast<int>((seed >> 8) % 12);
    int day = 1 + static_cast<int>((seed >> 40) % 31);
    char line[64];
    static const char* kMon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::snprintf(line, sizeof line, "%s %2d 12:00:00 mx x", kMon[month - 1], day);
    static const int kMax[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool ok = r.ParsePrefix(line, &ts, &used);
    ASSERT_EQ(ok, day <= kMax[month - 1]) << line;
    if (!ok) continue;
    CivilTime c = ts.ToCivil();
    EXPECT_EQ(c.month, month) << line;
    EXPECT_EQ(c.day, day) << line;
    EXPECT_LE(ts, Timestamp::FromMicros(now_s * 1000000) + kMicrosPerDay) << line;
  }
}

TEST(HardeningLogs, FollowerReadsTheClockAgain) {
  ManualClock clock(Utc("2026-12-31T23:59:00Z"));
  Sink sink;
  IngestOptions o;
  o.tz = "UTC";
  auto ing = Ingester::Create(o, clock, &sink).value();
  clock.Set(Utc("2027-01-01T00:30:00Z"));
  ing->RefreshNow();
  auto s = ing->OpenStream("t.log", "");
  s->IngestLine("Jan  1 00:20:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]", 1);
  s->Finish();
  ASSERT_FALSE(sink.events.empty());
  EXPECT_EQ(sink.events[0].ts, Utc("2027-01-01T00:20:00Z"));
}

// Suspicion 7: the repeated hour when daylight saving ends (Europe, 2026-10-25 03:00 CEST ->
// 02:00 CET): the second 02:xx is an hour later than the first.
TEST(HardeningLogs, RepeatedDstHourKeepsTimeMovingForward) {
  LogTime t(TimeZone::FromName("CET-1CEST,M3.5.0,M10.5.0/3").value(), Utc("2026-11-01T00:00:00Z"));
  Timestamp ts;
  size_t used = 0;
  const char* lines[] = {"Oct 25 02:30:00 x", "Oct 25 02:59:59 x", "Oct 25 02:00:01 x",
                         "Oct 25 02:30:00 x", "Oct 25 03:00:00 x"};
  const char* want[] = {"2026-10-25T00:30:00Z", "2026-10-25T00:59:59Z", "2026-10-25T01:00:01Z",
                        "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z"};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(t.ParsePrefix(lines[i], &ts, &used));
    EXPECT_EQ(ts, Utc(want[i])) << lines[i];
  }
}

// M5 and suspicion 1: a writer that keeps its descriptor across a rename; a copytruncate that
// refills the file past the old offset between two polls.
std::string Line(int pid) {
  return "Nov 16 08:00:01 mail postfix/smtpd[" + std::to_string(pid) +
         "]: connect from unknown[127.0.0.1]\n";
}

std::set<std::string> Sessions(const std::vector<Event>& events) {
  std::set<std::string> out;
  for (const auto& e : events) {
    if (e.kind != EventKind::kSessionStart) continue;
    // "postfix:mail:PID:..." -> "postfix:mail:PID"
    std::string id(e.session);
    size_t third = id.find(':', id.find(':', id.find(':') + 1) + 1);
    out.insert(id.substr(0, third));
  }
  return out;
}

TEST(HardeningLogs, FollowKeepsReadingTheRotatedFile) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string path = dir + "/mail.log";
  ManualClock clock(Utc("2026-11-16T09:00:00Z"));
  Sink sink;
  IngestOptions o;
  o.tz = "UTC";
  auto ing = Ingester::Create(o, clock, &sink).value();
  FILE* w = std::fopen(path.c_str(), "a");
  auto put = [&](int pid) {
    std::fputs(Line(pid).c_str(), w);
    std::fflush(w);
  };
  for (int p : {1001, 1002, 1003}) put(p);
  std::atomic<bool> stop{false};
  FollowOptions fo;
  fo.poll_ms = 20;
  fo.rotated_grace_ms = 600;
  std::thread t([&] { (void)FollowLogs({path}, *ing, fo, stop, nullptr); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  std::fclose(std::fopen(path.c_str(), "w"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the follower saw the new file
  for (int p : {2001, 2002, 2003}) put(p);                      // still to the old inode
  std::fputs("Nov 16 08:00:01 mail postfix/smtpd[2004]: connect from unk", w);  // half a line
  std::fflush(w);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::fputs("nown[127.0.0.1]\n", w);
  std::fclose(w);
  w = std::fopen(path.c_str(), "a");  // the writer reopens (HUP)
  for (int p : {3001, 3002, 3003}) put(p);
  std::fclose(w);
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  stop = true;
  t.join();
  auto s = Sessions(sink.events);
  EXPECT_EQ(s.size(), 10u);
  for (int p : {1001, 2001, 2003, 2004, 3003}) {
    EXPECT_TRUE(s.count("postfix:mail:" + std::to_string(p))) << p;
  }
}

TEST(HardeningLogs, FollowNoticesCopytruncateRefilledWithinOnePoll) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string path = dir + "/mail.log";
  ManualClock clock(Utc("2026-11-16T09:00:00Z"));
  Sink sink;
  IngestOptions o;
  o.tz = "UTC";
  auto ing = Ingester::Create(o, clock, &sink).value();
  {
    std::ofstream f(path);
    f << Line(1001) << Line(1002);
  }
  std::atomic<bool> stop{false};
  FollowOptions fo;
  fo.poll_ms = 300;
  std::thread t([&] { (void)FollowLogs({path}, *ing, fo, stop, nullptr); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  {
    // copytruncate, then more than the old size written before the next poll
    std::ofstream f(path, std::ios::trunc);
    f << "Nov 16 08:00:02 mail postfix/smtpd[5001]: connect from unknown[127.0.0.2]\n";
    f << Line(5002) << Line(5003);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  stop = true;
  t.join();
  auto s = Sessions(sink.events);
  for (int p : {1001, 1002, 5001, 5002, 5003}) {
    EXPECT_TRUE(s.count("postfix:mail:" + std::to_string(p))) << p;
  }
}

// Suspicion 2: on a log that never goes quiet, on_idle (the commit) still runs about once a
// second, not only after the burst.
TEST(HardeningLogs, BusyFollowStillCommits) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string path = dir + "/mail.log";
  ManualClock clock(Utc("2026-11-16T09:00:00Z"));
  IngestOptions o;
  o.tz = "UTC";
  // A slow consumer (0.1 ms per event) behind a fast writer: every poll finds new lines.
  class SlowSink final : public EventSink {
   public:
    void Emit(Event&&) override { std::this_thread::sleep_for(std::chrono::microseconds(100)); }
  } slow;
  auto ing = Ingester::Create(o, clock, &slow).value();
  std::fclose(std::fopen(path.c_str(), "w"));
  std::atomic<bool> stop{false}, writing{true};
  std::atomic<int> idles{0};
  FollowOptions fo;
  fo.poll_ms = 50;
  fo.commit_ms = 200;
  std::thread writer([&] {
    FILE* w = std::fopen(path.c_str(), "a");
    for (int i = 0; writing; ++i) {
      for (int k = 0; k < 2; ++k) std::fputs(Line(10000 + (i * 2 + k) % 50000).c_str(), w);
      std::fflush(w);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    std::fclose(w);
  });
  std::thread t([&] { (void)FollowLogs({path}, *ing, fo, stop, [&] { ++idles; }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  int during = idles.load();
  writing = false;
  writer.join();
  stop = true;
  t.join();
  EXPECT_GE(during, 2) << "commits while the log kept growing";
}

}  // namespace
}  // namespace mxir::logs
