#include "dnsbl/target.h"

#include <gtest/gtest.h>

#include "test_zones.h"

namespace mxir::dnsbl {
namespace {

TEST(TargetTest, QueryNamesFollowRfc5782) {
  DnsblZone zen = testing::SpamhausLike();
  EXPECT_EQ(*QueryName(*DnsblTarget::Ip("192.0.2.55"), zen), "55.2.0.192.zen.example");
  EXPECT_EQ(*QueryName(*DnsblTarget::Ip("2001:db8::1"), zen),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example");
  // An IPv4-mapped address is checked as the IPv4 address it is.
  EXPECT_EQ(*QueryName(*DnsblTarget::Ip("::ffff:192.0.2.55"), zen), "55.2.0.192.zen.example");
  DnsblZone uribl = testing::UriblLike();
  EXPECT_EQ(*QueryName(*DnsblTarget::Domain("Acme.Example."), uribl),
            "acme.example.multi.uribl.example");
}

TEST(TargetTest, NeverAnIpOnADomainListNorADomainOnAnIpList) {
  auto ip = *DnsblTarget::Ip("192.0.2.55");
  auto domain = *DnsblTarget::Domain("acme.example");
  EXPECT_FALSE(QueryName(ip, testing::UriblLike()).ok());
  EXPECT_FALSE(QueryName(domain, testing::SpamhausLike()).ok());
  DnsblZone v4only = testing::ReputationLike();
  EXPECT_FALSE(QueryName(*DnsblTarget::Ip("2001:db8::1"), v4only).ok());
}

TEST(TargetTest, BadTargets) {
  EXPECT_FALSE(DnsblTarget::Ip("192.0.2.256").ok());
  EXPECT_FALSE(DnsblTarget::Ip(" 192.0.2.1").ok());
  EXPECT_FALSE(DnsblTarget::Domain("192.0.2.1").ok());
  EXPECT_FALSE(DnsblTarget::Domain("bad domain.example").ok());
  EXPECT_FALSE(DnsblTarget::Domain("").ok());
  EXPECT_TRUE(DnsblTarget::Parse("192.0.2.1")->is_ip());
  EXPECT_FALSE(DnsblTarget::Parse("acme.example")->is_ip());
}

TEST(TargetTest, TestPoints) {
  DnsblZone zen = testing::SpamhausLike();
  auto v4 = TestPointsFor(zen, DnsblTarget::Kind::kIp4);
  EXPECT_EQ(*QueryName(*v4.listed, zen), "2.0.0.127.zen.example");
  EXPECT_EQ(*QueryName(*v4.unlisted, zen), "1.0.0.127.zen.example");
  auto v6 = TestPointsFor(zen, DnsblTarget::Kind::kIp6);
  EXPECT_EQ(*QueryName(*v6.listed, zen),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.zen.example");
  auto dom = TestPointsFor(testing::UriblLike(), DnsblTarget::Kind::kDomain);
  EXPECT_EQ(dom.listed->text, "test");
  EXPECT_EQ(dom.unlisted->text, "invalid");
  DnsblZone none = zen;
  none.test_unlisted = "none";
  EXPECT_FALSE(TestPointsFor(none, DnsblTarget::Kind::kIp4).unlisted.has_value());
}

}  // namespace
}  // namespace mxir::dnsbl
