// SummarizeRunaway: tens of thousands of claimed "our addresses" become a bounded list of
// findings plus one summary that says what looks wrong; normal input is left alone.
#include "detect/runaway_guard.h"

#include <gtest/gtest.h>

namespace mxir::detect {
namespace {

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

}  // namespace
}  // namespace mxir::detect
