#include "core/ip_address.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace mxir {
namespace {

TEST(IpAddress, ParsesAndFormatsV4) {
  auto ip = IpAddress::Parse("192.0.2.1");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(ip->ToString(), "192.0.2.1");
  EXPECT_EQ(ip->v4_host_order(), 0xC0000201u);
  EXPECT_EQ(IpAddress::V4(0x7f000001).ToString(), "127.0.0.1");
}

TEST(IpAddress, ParsesAndFormatsV6Canonically) {
  auto ip = IpAddress::Parse("2001:0db8:0000:0000:0000:0000:0000:0001");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v6());
  EXPECT_EQ(ip->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("::1")->ToString(), "::1");
}

TEST(IpAddress, V4ParsingAgreesWithInetPton) {
  // The hand-written dotted-quad parser against the C library's, on near-misses and noise.
  std::mt19937 rng(5);
  const std::string alphabet = "0123456789..  x:25";
  std::vector<std::string> cases = {"0.0.0.0",  "255.255.255.255", "256.1.1.1", "01.2.3.4",
                                    "1.2.3",    "1.2.3.4.",        "1.2.3.4 ",  "1..3.4",
                                    "1.2.3.04", "1.2.3.400",       "1.2.3.4a",  "00.0.0.0",
                                    "10.0.0.1", "1.2.3.1000",      "+1.2.3.4",  ".1.2.3"};
  for (int i = 0; i < 50000; ++i) {
    std::string s;
    for (int n = static_cast<int>(rng() % 16); n > 0; --n)
      s.push_back(alphabet[rng() % alphabet.size()]);
    cases.push_back(s);
  }
  for (const std::string& s : cases) {
    if (s.find(':') != std::string::npos || s.empty()) continue;
    unsigned char want[4];
    const bool libc = inet_pton(AF_INET, s.c_str(), want) == 1;
    auto got = IpAddress::Parse(s);
    ASSERT_EQ(got.has_value(), libc) << "'" << s << "'";
    if (libc) {
      ASSERT_TRUE(got->is_v4());
      ASSERT_EQ(std::memcmp(got->bytes(), want, 4), 0) << s;
    }
  }
}

TEST(IpAddress, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", " 1.2.3.4", "1.2.3.4 ", "::g",
                          "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "abc"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
  auto r = IpAddress::ParseOrError("nope");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nope"), std::string::npos);
  EXPECT_EQ(r.error().ExitStatus(), 2);
}

TEST(IpAddress, MappedAndLoopback) {
  auto m = IpAddress::Parse("::ffff:192.0.2.9");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->IsV4Mapped());
  EXPECT_EQ(m->Unmapped().ToString(), "192.0.2.9");
  EXPECT_TRUE(IpAddress::Parse("127.1.2.3")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("::1")->IsLoopback());
  EXPECT_FALSE(IpAddress::Parse("10.0.0.1")->IsLoopback());
}

TEST(IpAddress, ReversePointerFollowsRfc5782) {
  EXPECT_EQ(IpAddress::Parse("127.0.0.2")->ReversePointer(), "2.0.0.127");
  EXPECT_EQ(IpAddress::Parse("2001:db8::1")->ReversePointer(),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2");
}

TEST(IpAddress, OrderingAndHash) {
  auto a = *IpAddress::Parse("10.0.0.1"), b = *IpAddress::Parse("10.0.0.2");
  EXPECT_LT(a, b);
  EXPECT_EQ(a, *IpAddress::Parse("10.0.0.1"));
  EXPECT_EQ(a.Hash(), IpAddress::Parse("10.0.0.1")->Hash());
  EXPECT_NE(a.Hash(), b.Hash());
}

TEST(IpNetwork, Membership) {
  auto net = IpNetwork::Parse("10.0.0.0/8");
  ASSERT_TRUE(net.ok());
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("10.255.1.2")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("11.0.0.1")));
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("::ffff:10.1.1.1")));  // mapped counts
  auto odd = IpNetwork::Parse("192.168.5.77/20");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->ToString(), "192.168.0.0/20");
  EXPECT_TRUE(odd->Contains(*IpAddress::Parse("192.168.15.255")));
  EXPECT_FALSE(odd->Contains(*IpAddress::Parse("192.168.16.0")));
  auto ula = IpNetwork::Parse("fc00::/7");
  ASSERT_TRUE(ula.ok());
  EXPECT_TRUE(ula->Contains(*IpAddress::Parse("fd12::1")));
  EXPECT_FALSE(ula->Contains(*IpAddress::Parse("fe80::1")));
  EXPECT_FALSE(ula->Contains(*IpAddress::Parse("10.0.0.1")));
  EXPECT_TRUE(IpNetwork::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("8.8.8.8")));
  auto host = IpNetwork::Parse("192.0.2.1");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->prefix_len(), 32);
}

TEST(IpNetwork, RejectsBadPrefixes) {
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "x/8", "10.0.0.0/1234"}) {
    EXPECT_FALSE(IpNetwork::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mxir
