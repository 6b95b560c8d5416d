// P6: the capture and a log read with the wrong --tz describe the same logins whole hours apart.
// Seeded generator: irregular attempts from a few clients; the log side shifted by k hours (and
// jittered within the merge window). The check must name the offset and the zone that makes the
// sources agree, and must stay quiet when the sources agree or describe unrelated logins.
#include "detect/source_offset.h"

#include <random>

#include <gtest/gtest.h>

#include "test_events.h"

namespace mxir::detect::test {
namespace {

std::vector<Event> Pair(std::mt19937& rng, int shift_hours, bool unrelated, int n = 60) {
  std::vector<Event> v;
  std::uniform_real_distribution<double> gap(5, 200), jitter(-0.8, 0.8);
  double t = 0;
  for (int i = 0; i < n; ++i) {
    t += gap(rng);
    std::string client = "203.0.113." + std::to_string(1 + rng() % 4);
    std::string user = "user" + std::to_string(rng() % 3);
    std::string outcome = rng() % 5 == 0 ? "success" : "failure";
    v.push_back(Auth(t, "pcap", "p" + std::to_string(i), client, user, outcome));
    double lt = unrelated ? t + 7 * 3600 + gap(rng) * 37 : t + shift_hours * 3600 + jitter(rng);
    v.push_back(Auth(lt, "postfix", "l" + std::to_string(i), client, user, outcome));
  }
  std::sort(v.begin(), v.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  return v;
}

TEST(SourceOffset, WholeHourOffsetsAreFoundAndExplained) {
  std::mt19937 rng(6);
  for (int round = 0; round < 20; ++round) {
    int k = 1 + static_cast<int>(rng() % 12);
    bool log_early = rng() % 2;
    DetectResult r = Detect(Pair(rng, log_early ? -k : k, false));
    ASSERT_EQ(r.offsets.size(), 1u) << "k=" << k;
    const SourceOffset& o = r.offsets.front();
    EXPECT_EQ(o.hours, k);
    EXPECT_EQ(o.earlier, log_early ? "postfix" : "pcap");
    EXPECT_EQ(o.later, log_early ? "pcap" : "postfix");
    EXPECT_GE(o.matched, 30);
  }
  // The reviewer's case: a UTC log read as Asia/Tokyo is 9 h early; reading it as UTC fixes it.
  SourceOffset tokyo{"postfix", "pcap", 9, 78};
  std::string w = SourceOffsetWarning(tokyo, 9 * 3600);
  EXPECT_NE(w.find("same 78 logins 9 hours apart"), std::string::npos) << w;
  EXPECT_NE(w.find("--tz UTC"), std::string::npos) << w;
  EXPECT_NE(w.find("9 hours west"), std::string::npos) << w;
  // A Tokyo log read as UTC is 9 h late: the zone 9 h east (UTC+9) makes them agree.
  SourceOffset late{"pcap", "postfix", 9, 10};
  EXPECT_NE(SourceOffsetWarning(late, 0).find("UTC+9"), std::string::npos);
}

TEST(SourceOffset, QuietWhenSourcesAgreeOrAreUnrelated) {
  std::mt19937 rng(7);
  for (int round = 0; round < 10; ++round) {
    EXPECT_TRUE(Detect(Pair(rng, 0, false)).offsets.empty());
    EXPECT_TRUE(Detect(Pair(rng, 0, true)).offsets.empty());
  }
}

TEST(SourceOffset, LargeInputsAreJudgedOnAnEvenProbe) {
  // More attempts than the probe takes (4000 per side): the offset is still found, its count
  // scaled back to all attempts, and unrelated or agreeing sources stay quiet.
  std::mt19937 rng(23);
  const auto shifted = Detect(Pair(rng, 5, false, 12000)).offsets;
  ASSERT_EQ(shifted.size(), 1u);
  EXPECT_EQ(shifted[0].hours, 5);
  EXPECT_EQ(shifted[0].earlier, "pcap");
  EXPECT_GE(shifted[0].matched, 11000);
  EXPECT_LE(shifted[0].matched, 12000);
  EXPECT_TRUE(Detect(Pair(rng, 0, false, 12000)).offsets.empty());
  EXPECT_TRUE(Detect(Pair(rng, 0, true, 12000)).offsets.empty());
}

}  // namespace
}  // namespace mxir::detect::test
