#include "dnsbl/dns_answer.h"

#include <random>

#include <gtest/gtest.h>

#include "test_zones.h"

namespace mxir::dnsbl {
namespace {

using testing::Code;
using testing::Reply;

TEST(DnsAnswerTest, ARecords) {
  auto b = Reply("2.0.0.127.zen.example", 0, {Code(127, 0, 0, 2), Code(127, 0, 0, 4)});
  DnsAnswer a = DecodeDnsResponse(b.data(), b.size(), DnsType::kA);
  ASSERT_EQ(a.outcome, DnsOutcome::kAnswer) << a.detail;
  ASSERT_EQ(a.addresses.size(), 2u);
  EXPECT_EQ(a.addresses[0].ToString(), "127.0.0.2");
  EXPECT_EQ(a.addresses[1].ToString(), "127.0.0.4");
}

TEST(DnsAnswerTest, Rcodes) {
  auto nx = Reply("x.zen.example", 3, {});
  EXPECT_EQ(DecodeDnsResponse(nx.data(), nx.size(), DnsType::kA).outcome, DnsOutcome::kNxDomain);
  auto sf = Reply("x.zen.example", 2, {});
  EXPECT_EQ(DecodeDnsResponse(sf.data(), sf.size(), DnsType::kA).outcome, DnsOutcome::kServFail);
  auto rf = Reply("x.zen.example", 5, {});
  EXPECT_EQ(DecodeDnsResponse(rf.data(), rf.size(), DnsType::kA).outcome, DnsOutcome::kRefused);
  auto nodata = Reply("x.zen.example", 0, {});
  EXPECT_EQ(DecodeDnsResponse(nodata.data(), nodata.size(), DnsType::kA).outcome,
            DnsOutcome::kNoData);
}

TEST(DnsAnswerTest, Txt) {
  auto b = Reply("x.zen.example", 0, {}, 16, "https://check.example/SBL1");
  DnsAnswer a = DecodeDnsResponse(b.data(), b.size(), DnsType::kTxt);
  ASSERT_EQ(a.outcome, DnsOutcome::kAnswer) << a.detail;
  ASSERT_EQ(a.txt.size(), 1u);
  EXPECT_EQ(a.txt[0], "https://check.example/SBL1");
}

TEST(DnsAnswerTest, TruncatedAndGarbageRepliesAreMalformedNeverACrash) {
  auto b = Reply("2.0.0.127.zen.example", 0, {Code(127, 0, 0, 2)});
  for (size_t n = 0; n < b.size(); ++n) {
    DnsAnswer a = DecodeDnsResponse(b.data(), n, DnsType::kA);
    EXPECT_NE(a.outcome, DnsOutcome::kAnswer) << "cut at " << n;
  }
  EXPECT_EQ(DecodeDnsResponse(nullptr, 0, DnsType::kA).outcome, DnsOutcome::kMalformed);
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng() % 80);
    for (auto& c : junk) c = static_cast<uint8_t>(rng());
    DnsAnswer a = DecodeDnsResponse(junk.data(), junk.size(), i % 2 ? DnsType::kA : DnsType::kTxt);
    (void)a;
  }
  // A query echoed back (not a response) is not an answer.
  b[2] &= 0x7f;
  EXPECT_EQ(DecodeDnsResponse(b.data(), b.size(), DnsType::kA).outcome, DnsOutcome::kMalformed);
}

}  // namespace
}  // namespace mxir::dnsbl
