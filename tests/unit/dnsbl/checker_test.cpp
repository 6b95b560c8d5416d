#include "dnsbl/checker.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "fake_resolver.h"
#include "test_zones.h"

namespace mxir::dnsbl {
namespace {

using testing::FakeResolver;

std::vector<DnsblTarget> Targets(std::initializer_list<const char*> t) {
  std::vector<DnsblTarget> out;
  for (const char* s : t) out.push_back(*DnsblTarget::Parse(s));
  return out;
}

const CheckResult* Find(const CheckRun& run, const std::string& target, const std::string& zone) {
  for (const auto& r : run.results) {
    if (r.target == target && r.zone == zone) return &r;
  }
  return nullptr;
}

TEST(CheckerTest, HealthyZoneListsAndClears) {
  FakeResolver dns;
  dns.SetA("2.0.0.127.zen.example", {"127.0.0.2"});
  dns.SetA("25.2.0.192.zen.example", {"127.0.0.2"});
  dns.SetTxt("25.2.0.192.zen.example", "https://check.example/SBL1");
  CheckRun run = RunChecks({testing::SpamhausLike()}, Targets({"192.0.2.25", "192.0.2.26"}), dns,
                           {}, Timestamp::FromSeconds(1000));
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].status, CheckStatus::kListed);
  EXPECT_EQ(run.results[0].txt, std::vector<std::string>{"https://check.example/SBL1"});
  EXPECT_EQ(run.results[1].status, CheckStatus::kNotListed);
  EXPECT_TRUE(run.results[1].txt.empty());
  // Test points once per zone and kind, not per target; TXT only for the listing.
  EXPECT_EQ(std::count(dns.asked.begin(), dns.asked.end(), "2.0.0.127.zen.example"), 1);
  EXPECT_EQ(run.queries, 5u);
}

TEST(CheckerTest, ZoneListingEverythingGivesErrorNotListed) {
  FakeResolver dns;
  dns.SetWildcard(".zen.example", {"127.0.0.2"});
  CheckRun run =
      RunChecks({testing::SpamhausLike()}, Targets({"192.0.2.25"}), dns, {}, Timestamp());
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_EQ(run.results[0].status, CheckStatus::kError);
  EXPECT_NE(run.results[0].meaning.find("for everything"), std::string::npos);
}

TEST(CheckerTest, SilentlyBlockedZoneGivesError) {
  FakeResolver dns;  // everything NXDOMAIN, test point included
  CheckRun run =
      RunChecks({testing::SpamhausLike()}, Targets({"192.0.2.25"}), dns, {}, Timestamp());
  EXPECT_EQ(run.results[0].status, CheckStatus::kError);
  EXPECT_NE(run.results[0].meaning.find("127.0.0.2 is not listed"), std::string::npos);
}

TEST(CheckerTest, RefusingZoneGivesRefused) {
  FakeResolver dns;
  dns.SetWildcard(".zen.example", {"127.255.255.254"});
  CheckRun run =
      RunChecks({testing::SpamhausLike()}, Targets({"192.0.2.25"}), dns, {}, Timestamp());
  EXPECT_EQ(run.results[0].status, CheckStatus::kRefused);
}

TEST(CheckerTest, TimeoutsAreErrors) {
  FakeResolver dns;
  dns.SetA("2.0.0.127.zen.example", {"127.0.0.2"});
  dns.SetOutcome("25.2.0.192.zen.example", DnsOutcome::kTimeout);
  CheckRun run =
      RunChecks({testing::SpamhausLike()}, Targets({"192.0.2.25"}), dns, {}, Timestamp());
  EXPECT_EQ(run.results[0].status, CheckStatus::kError);
}

TEST(CheckerTest, KindsAreNeverMixed) {
  FakeResolver dns;
  dns.SetA("2.0.0.127.zen.example", {"127.0.0.2"});
  dns.SetA("test.multi.uribl.example", {"127.0.0.2"});
  CheckRun run = RunChecks(
      {testing::SpamhausLike(), testing::UriblLike(), testing::ReputationLike()},
      Targets({"192.0.2.25", "2001:db8::1", "acme.example", "192.0.2.25"}), dns, {}, Timestamp());
  // ip4 on zen+rep, ip6 on zen, domain on uribl; the duplicate target is checked once.
  EXPECT_EQ(run.results.size(), 4u);
  EXPECT_EQ(run.skipped_not_covered, 5u);
  EXPECT_NE(Find(run, "acme.example", "multi.uribl.example"), nullptr);
  EXPECT_EQ(Find(run, "192.0.2.25", "multi.uribl.example"), nullptr);
  EXPECT_EQ(Find(run, "2001:db8::1", "rep.example"), nullptr);
  for (const auto& name : dns.asked) {
    EXPECT_FALSE(name.find("acme.example.zen") != std::string::npos) << name;
    EXPECT_FALSE(name.find("192.multi.uribl") != std::string::npos) << name;
  }
}

TEST(CheckerTest, ShortAnswerListFromAResolverIsHandled) {
  class Broken : public Resolver {
   public:
    std::vector<DnsAnswer> ResolveAll(const std::vector<DnsQuery>&) override { return {}; }
  } dns;
  CheckRun run =
      RunChecks({testing::SpamhausLike()}, Targets({"192.0.2.25"}), dns, {}, Timestamp());
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_EQ(run.results[0].status, CheckStatus::kError);
}

TEST(ResolverTest, ServerSpecs) {
  EXPECT_EQ(*ParseServerSpec("127.0.0.1"), "127.0.0.1:53");
  EXPECT_EQ(*ParseServerSpec("127.0.0.1:5354"), "127.0.0.1:5354");
  EXPECT_EQ(*ParseServerSpec("[::1]:5354"), "[::1]:5354");
  EXPECT_EQ(*ParseServerSpec("::1"), "[::1]:53");
  EXPECT_FALSE(ParseServerSpec("dns.example:53").ok());
  EXPECT_FALSE(ParseServerSpec("127.0.0.1:0").ok());
  EXPECT_FALSE(ParseServerSpec("127.0.0.1:99999").ok());
  EXPECT_FALSE(ParseServerSpec("[::1").ok());
}

TEST(ResolverTest, UnansweredQueriesTimeOutWithinBounds) {
  // A UDP port that never answers: the batch ends by itself within the tries' time.
  ResolverOptions o;
  o.server = "127.0.0.1:9";  // discard: nothing listens, or it drops
  o.timeout_ms = 50;
  o.tries = 1;
  auto r = MakeCaresResolver(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto start = std::chrono::steady_clock::now();
  auto answers = (*r)->ResolveAll({{"2.0.0.127.zen.example", DnsType::kA, ""}});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_NE(answers[0].outcome, DnsOutcome::kAnswer);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace mxir::dnsbl
