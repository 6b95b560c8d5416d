#include "dnsbl/verdict.h"

#include <gtest/gtest.h>

#include "test_zones.h"

namespace mxir::dnsbl {
namespace {

DnsAnswer A(std::initializer_list<const char*> codes) {
  DnsAnswer a;
  a.outcome = DnsOutcome::kAnswer;
  for (const char* c : codes) a.addresses.push_back(*IpAddress::Parse(c));
  return a;
}

DnsAnswer Outcome(DnsOutcome o) {
  DnsAnswer a;
  a.outcome = o;
  return a;
}

TEST(VerdictTest, DocumentedListingCodes) {
  Verdict v = Interpret(testing::SpamhausLike(), A({"127.0.0.2", "127.0.0.4"}));
  EXPECT_EQ(v.status, CheckStatus::kListed);
  EXPECT_EQ(v.meaning, "SBL; XBL");
  EXPECT_EQ(v.codes, (std::vector<std::string>{"127.0.0.2", "127.0.0.4"}));
}

TEST(VerdictTest, RefusalsAreNeverListings) {
  EXPECT_EQ(Interpret(testing::SpamhausLike(), A({"127.255.255.254"})).status,
            CheckStatus::kRefused);
  EXPECT_EQ(Interpret(testing::SpamhausLike(), A({"127.255.255.255"})).status,
            CheckStatus::kRefused);
  EXPECT_EQ(Interpret(testing::UriblLike(), A({"127.0.0.1"})).status, CheckStatus::kRefused);
  // A refusal next to a listing code still means the answer cannot be trusted.
  EXPECT_EQ(Interpret(testing::SpamhausLike(), A({"127.0.0.2", "127.255.255.254"})).status,
            CheckStatus::kRefused);
}

TEST(VerdictTest, ErrorsAreNeverListings) {
  DnsblZone zen = testing::SpamhausLike();
  EXPECT_EQ(Interpret(zen, A({"127.255.255.252"})).status, CheckStatus::kError);
  Verdict outside = Interpret(zen, A({"198.51.100.7"}));
  EXPECT_EQ(outside.status, CheckStatus::kError);
  EXPECT_NE(outside.meaning.find("outside 127.0.0.0/8"), std::string::npos);
  Verdict unknown = Interpret(zen, A({"127.0.0.99"}));
  EXPECT_EQ(unknown.status, CheckStatus::kError);
  EXPECT_NE(unknown.meaning.find("unrecognised"), std::string::npos);
  for (DnsOutcome o : {DnsOutcome::kTimeout, DnsOutcome::kServFail, DnsOutcome::kRefused,
                       DnsOutcome::kMalformed, DnsOutcome::kFailed}) {
    EXPECT_EQ(Interpret(zen, Outcome(o)).status, CheckStatus::kError) << DnsOutcomeName(o);
  }
}

TEST(VerdictTest, NotListed) {
  EXPECT_EQ(Interpret(testing::SpamhausLike(), Outcome(DnsOutcome::kNxDomain)).status,
            CheckStatus::kNotListed);
  EXPECT_EQ(Interpret(testing::SpamhausLike(), Outcome(DnsOutcome::kNoData)).status,
            CheckStatus::kNotListed);
  // A good reputation score is not a listing; a bad one is.
  EXPECT_EQ(Interpret(testing::ReputationLike(), A({"127.0.0.18"})).status,
            CheckStatus::kNotListed);
  EXPECT_EQ(Interpret(testing::ReputationLike(), A({"127.0.0.10"})).status, CheckStatus::kListed);
}

TEST(VerdictTest, Bitmasks) {
  DnsblZone uribl = testing::UriblLike();
  Verdict v = Interpret(uribl, A({"127.0.0.6"}));
  EXPECT_EQ(v.status, CheckStatus::kListed);
  EXPECT_EQ(v.meaning, "black + grey");
  EXPECT_EQ(Interpret(uribl, A({"127.0.0.64"})).status, CheckStatus::kError);  // unknown bit
  EXPECT_EQ(Interpret(uribl, A({"127.0.1.2"})).status, CheckStatus::kError);   // other octets
}

}  // namespace
}  // namespace mxir::dnsbl
