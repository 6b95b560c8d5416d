// SummarizeRunaway: tens of thousands of claimed "our addresses" become a bounded list of
// findings plus one summary that says what looks wrong; normal input is left alone.
#include "detect/runaway_guard.h"

#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "test_events.h"

namespace mxir::detect {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): the shared event builders

DetectResult Listed(int n) {
  DetectResult r;
  for (int i = 0; i < n; ++i) {
    Finding f;
    f.kind = "remote_blocklisting";
    f.severity = Severity::kHigh;
    f.id = "bl:" + std::to_string(i);
    std::string ip = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
                     std::to_string(i % 256);
    f.client_ip = ip;
    f.counts["rejections"] = 1 + (i % 7 == 0 ? 100 : 0);
    f.evidence["listed_ip"] = ip;
    f.evidence["blocklist"] = "zen.spamhaus.org";
    f.first_seen = Timestamp::FromSeconds(1700000000 + i);
    f.last_seen = f.first_seen;
    r.findings.push_back(f);
    r.listed.push_back({ip, "zen.spamhaus.org"});
  }
  Finding other;
  other.kind = "brute_force";
  other.id = "bf:1";
  r.findings.push_back(other);
  return r;
}

TEST(RunawayGuard, NormalInputIsLeftAlone) {
  DetectResult r = Listed(50);
  Counters c;
  EXPECT_EQ(SummarizeRunaway(&r, &c), 0u);
  EXPECT_EQ(r.findings.size(), 51u);
  EXPECT_EQ(r.listed.size(), 50u);
}

TEST(RunawayGuard, TensOfThousandsOfOurAddressesBecomeASummary) {
  DetectResult r = Listed(70000);
  Counters c;
  size_t folded = SummarizeRunaway(&r, &c);
  EXPECT_EQ(folded, 70000 - kMaxListedFindings);
  EXPECT_EQ(r.findings.size(), kMaxListedFindings + 2);  // + summary + the brute force
  EXPECT_EQ(r.listed.size(), kMaxListedFindings);
  EXPECT_EQ(c.Get("guard.remote_blocklisting_folded"), static_cast<int64_t>(folded));
  int summaries = 0, heavy = 0;
  for (const Finding& f : r.findings) {
    if (f.id == "remote_blocklisting:summary") {
      ++summaries;
      EXPECT_EQ(f.counts["listed_addresses"], 70000);
      EXPECT_NE(f.explanation.find("--internal"), std::string::npos);
    } else if (f.kind == "remote_blocklisting" && f.counts["rejections"] > 1) {
      ++heavy;
    }
  }
  EXPECT_EQ(summaries, 1);
  EXPECT_EQ(heavy, static_cast<int>(kMaxListedFindings));  // the most rejected are kept
}

// A log claiming `n` listed addresses of ours, each refused 2..5 times (many ties in rejections
// and in first-seen times, so the ranking's tie-breaks matter), from a seeded generator.
std::vector<Event> ListedDeliveries(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<Event> v;
  for (int i = 0; i < n; ++i) {
    const std::string ip = "198.18." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    const int times = 2 + static_cast<int>(rng() % 4);
    const double start = static_cast<double>(rng() % 50) * 60;
    for (int k = 0; k < times; ++k) {
      Event d =
          Base(start + k * static_cast<double>(rng() % 3), "postfix", "", "", EventKind::kDelivery);
      d.client_ip.reset();
      d.status = "bounced";
      d.code = 554;
      d.relay = "mx" + std::to_string(rng() % 3) + ".example.net[192.0.2.25]:25";
      d.text =
          "554 5.7.1 Service unavailable; Client host [" + ip + "] blocked using zen.spamhaus.org";
      v.push_back(d);
    }
  }
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

std::string AllText(const DetectResult& r) {
  std::string out;
  for (const Finding& f : r.findings) out += FindingToJson(f).dump() + "\n";
  for (const ListedAddress& l : r.listed) out += l.ip + " " + l.list + "\n";
  return out;
}

// The engine folds a runaway input itself, without a finding per folded address: the result must
// be the one SummarizeRunaway makes from every address's own finding (each found alone here).
TEST(RunawayGuard, EngineFoldsAsSummarizeRunawayWouldFromEveryFinding) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const int n = static_cast<int>(kMaxListedFindings) + 1 + static_cast<int>(seed * 97 % 400);
    std::vector<Event> v = ListedDeliveries(seed, n);
    DetectResult folded = Detect(v);
    EXPECT_EQ(folded.listed_folded, n - kMaxListedFindings) << seed;
    std::map<std::string, std::vector<Event>> by_text;
    for (const Event& e : v) by_text[e.text].push_back(e);
    DetectResult every;
    for (const auto& [text, events] : by_text) {
      DetectResult one = Detect(events);
      ASSERT_EQ(one.listed_folded, 0u);
      for (Finding& f : one.findings) every.findings.push_back(std::move(f));
      for (auto& l : one.listed) every.listed.push_back(l);
    }
    ASSERT_EQ(every.findings.size(), static_cast<size_t>(n));
    SortFindings(&every.findings);
    Counters c;
    EXPECT_EQ(SummarizeRunaway(&every, &c), n - kMaxListedFindings);
    EXPECT_EQ(AllText(folded), AllText(every)) << seed;
    // Folded once only: the tool's SummarizeRunaway leaves the engine's result alone.
    Counters c2;
    EXPECT_EQ(SummarizeRunaway(&folded, &c2), 0u);
  }
}

// detect --follow: the input crosses the guard's threshold between passes (and grows on after);
// the last pass equals one run over all events.
TEST(RunawayGuard, ThresholdCrossedBetweenFollowPasses) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const int n = static_cast<int>(kMaxListedFindings) + 50 + static_cast<int>(seed * 53 % 300);
    std::vector<Event> v = ListedDeliveries(seed + 100, n);
    std::sort(v.begin(), v.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
    const std::string whole = AllText(Detect(v));
    std::mt19937_64 rng(seed);
    DetectEngine engine(DetectConfig{}, DefaultLocality());
    // Passes at about a third (under the threshold), two thirds, then the rest.
    std::vector<size_t> cuts{v.size() / 3, v.size() * 2 / 3 + rng() % 10, v.size()};
    size_t next = 0;
    DetectResult last;
    for (size_t cut : cuts) {
      for (; next < cut; ++next) engine.Add(v[next]);
      last = engine.Pass();
    }
    EXPECT_EQ(AllText(last), whole) << seed;
  }
}

}  // namespace
}  // namespace mxir::detect
