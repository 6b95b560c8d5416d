// PacketDecoder: every link type, IPv4/IPv6 (extension headers), fragments, truncation, garbage.
#include "capture/packet_decoder.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "packet_builder.h"

namespace mxir::capture {
namespace {

using testing::Bytes;
using testing::Segment;

Segment Smtp(const std::string& payload) {
  Segment s;
  s.payload = payload;
  s.seq = 0xFFFFFFF0;
  s.ack = 77;
  return s;
}

void ExpectSmtp(PacketClass c, const DecodedTcp& t, const std::string& payload) {
  ASSERT_EQ(c, PacketClass::kTcp) << PacketClassName(c);
  EXPECT_EQ(t.src_port, 40000);
  EXPECT_EQ(t.dst_port, 25);
  EXPECT_EQ(t.seq, 0xFFFFFFF0u);
  EXPECT_EQ(t.ack, 77u);
  EXPECT_EQ(t.flags, 0x18);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.payload), t.payload_len), payload);
  EXPECT_EQ(t.missing_len, 0u);
}

TEST(PacketDecoderTest, EthernetIpv4StripsPadding) {
  Bytes f = testing::Ethernet(testing::IpPacket(Smtp("HI\r\n")), false);
  ASSERT_EQ(f.size(), 60u);  // padded
  DecodedTcp t;
  ExpectSmtp(DecodePacket(kLinkEthernet, f.data(), f.size(), &t), t, "HI\r\n");
  EXPECT_FALSE(t.v6);
  EXPECT_EQ(t.src_ip[0], 10);
  EXPECT_EQ(t.dst_ip[3], 2);
}

TEST(PacketDecoderTest, VlanAndQinQ) {
  for (int tags : {1, 2, 3}) {
    Bytes f = testing::Ethernet(testing::IpPacket(Smtp("EHLO x\r\n")), false, tags);
    DecodedTcp t;
    ExpectSmtp(DecodePacket(kLinkEthernet, f.data(), f.size(), &t), t, "EHLO x\r\n");
  }
}

TEST(PacketDecoderTest, LinuxCookedV1AndV2) {
  Bytes ip = testing::IpPacket(Smtp("MAIL FROM:<a@b>\r\n"));
  DecodedTcp t;
  Bytes f1 = testing::LinuxSll(ip, false);
  ExpectSmtp(DecodePacket(kLinkLinuxSll, f1.data(), f1.size(), &t), t, "MAIL FROM:<a@b>\r\n");
  Bytes f2 = testing::LinuxSll2(ip, false);
  ExpectSmtp(DecodePacket(kLinkLinuxSll2, f2.data(), f2.size(), &t), t, "MAIL FROM:<a@b>\r\n");
}

TEST(PacketDecoderTest, BsdLoopbackBothByteOrdersAndLoop) {
  Segment s = Smtp("QUIT\r\n");
  s.src = "::1";
  s.dst = "::1";
  Bytes ip = testing::IpPacket(s);
  DecodedTcp t;
  Bytes le = testing::BsdNull(ip, true, false);
  ExpectSmtp(DecodePacket(kLinkNull, le.data(), le.size(), &t), t, "QUIT\r\n");
  EXPECT_TRUE(t.v6);
  Bytes be = testing::BsdNull(ip, true, true);
  ExpectSmtp(DecodePacket(kLinkNull, be.data(), be.size(), &t), t, "QUIT\r\n");
  ExpectSmtp(DecodePacket(kLinkLoop, be.data(), be.size(), &t), t, "QUIT\r\n");
}

TEST(PacketDecoderTest, RawIpAllSpellings) {
  Bytes ip = testing::IpPacket(Smtp("DATA\r\n"));
  DecodedTcp t;
  for (int link : {kLinkRaw, kLinkRawOpenBsd, kLinkRawType, kLinkIpv4}) {
    ExpectSmtp(DecodePacket(link, ip.data(), ip.size(), &t), t, "DATA\r\n");
  }
}

TEST(PacketDecoderTest, Ipv6ExtensionHeaders) {
  Segment s = Smtp("RCPT TO:<x@y>\r\n");
  s.src = "2001:db8::1";
  s.dst = "2001:db8::2";
  // Hop-by-hop (8 bytes) -> destination options (16 bytes) -> AH (12 bytes) -> TCP.
  Bytes ext = {60, 0, 1, 4,  0, 0, 0, 0,                          // hop-by-hop
               51, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // dest options
               6,  1, 0, 0,  0, 0, 0, 1, 0, 0, 0, 1};             // AH, len (1+2)*4
  Bytes ip = testing::IpPacket(s, ext, 0);
  DecodedTcp t;
  ExpectSmtp(DecodePacket(kLinkIpv6, ip.data(), ip.size(), &t), t, "RCPT TO:<x@y>\r\n");
  EXPECT_EQ(t.src_ip[0], 0x20);
  EXPECT_EQ(t.dst_ip[15], 2);
  Bytes f = testing::Ethernet(ip, true);
  ExpectSmtp(DecodePacket(kLinkEthernet, f.data(), f.size(), &t), t, "RCPT TO:<x@y>\r\n");
}

TEST(PacketDecoderTest, Ipv6FragmentHeaderAndNoNextHeader) {
  Segment s = Smtp("x");
  s.src = "::1";
  s.dst = "::2";
  Bytes frag = {6, 0, 0, 1, 0, 0, 0, 42};
  Bytes ip = testing::IpPacket(s, frag, 44);
  DecodedTcp t;
  EXPECT_EQ(DecodePacket(kLinkIpv6, ip.data(), ip.size(), &t), PacketClass::kIpFragment);
  Bytes none = {59, 0, 0, 0, 0, 0, 0, 0};
  ip = testing::IpPacket(s, none, 60);
  EXPECT_EQ(DecodePacket(kLinkIpv6, ip.data(), ip.size(), &t), PacketClass::kNotTcp);
}

TEST(PacketDecoderTest, Ipv4FragmentsAreCountedNotDecoded) {
  Bytes ip = testing::IpPacket(Smtp("abc"));
  ip[6] = 0x20;  // more fragments
  DecodedTcp t;
  EXPECT_EQ(DecodePacket(kLinkRaw, ip.data(), ip.size(), &t), PacketClass::kIpFragment);
  ip[6] = 0x00;
  ip[7] = 0x10;  // offset 16
  EXPECT_EQ(DecodePacket(kLinkRaw, ip.data(), ip.size(), &t), PacketClass::kIpFragment);
}

TEST(PacketDecoderTest, NonIpAndNonTcp) {
  Bytes arp = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06, 0, 1};
  DecodedTcp t;
  EXPECT_EQ(DecodePacket(kLinkEthernet, arp.data(), arp.size(), &t), PacketClass::kNotIp);
  Bytes ip = testing::IpPacket(Smtp("abc"));
  ip[9] = 17;  // UDP
  EXPECT_EQ(DecodePacket(kLinkRaw, ip.data(), ip.size(), &t), PacketClass::kNotTcp);
  EXPECT_EQ(DecodePacket(147, ip.data(), ip.size(), &t), PacketClass::kUnsupportedLinkType);
}

TEST(PacketDecoderTest, SnapLengthCutIsMissingPayload) {
  Segment s = Smtp("0123456789");
  Bytes ip = testing::IpPacket(s);
  ip.resize(ip.size() - 4);  // as if caplen stopped 4 bytes early
  DecodedTcp t;
  ASSERT_EQ(DecodePacket(kLinkRaw, ip.data(), ip.size(), &t), PacketClass::kTcp);
  EXPECT_EQ(t.payload_len, 6u);
  EXPECT_EQ(t.missing_len, 4u);
}

TEST(PacketDecoderTest, TruncatedAndBadHeaders) {
  Bytes ip = testing::IpPacket(Smtp("abc"));
  DecodedTcp t;
  EXPECT_EQ(DecodePacket(kLinkRaw, ip.data(), 10, &t), PacketClass::kTruncatedIp);
  EXPECT_EQ(DecodePacket(kLinkRaw, ip.data(), 30, &t), PacketClass::kTruncatedTcp);
  EXPECT_EQ(DecodePacket(kLinkEthernet, ip.data(), 5, &t), PacketClass::kTruncatedLink);
  EXPECT_EQ(DecodePacket(kLinkLinuxSll2, ip.data(), 19, &t), PacketClass::kTruncatedLink);
  Bytes bad = ip;
  bad[0] = 0x44;  // IHL 4
  EXPECT_EQ(DecodePacket(kLinkRaw, bad.data(), bad.size(), &t), PacketClass::kBadIpHeader);
  bad = ip;
  bad[20 + 12] = 0x40;  // TCP data offset 4
  EXPECT_EQ(DecodePacket(kLinkRaw, bad.data(), bad.size(), &t), PacketClass::kBadTcpHeader);
  bad = ip;
  bad[20 + 12] = 0xF0;  // TCP data offset 60 > segment
  EXPECT_EQ(DecodePacket(kLinkRaw, bad.data(), bad.size(), &t), PacketClass::kBadTcpHeader);
  bad = ip;
  bad[2] = 0;
  bad[3] = 10;  // total length below the header
  EXPECT_EQ(DecodePacket(kLinkRaw, bad.data(), bad.size(), &t), PacketClass::kBadIpHeader);
  EXPECT_TRUE(IsDecodeError(PacketClass::kBadIpHeader));
  EXPECT_FALSE(IsDecodeError(PacketClass::kNotTcp));
}

TEST(PacketDecoderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  Bytes buf(256);
  DecodedTcp t;
  for (int i = 0; i < 200000; ++i) {
    size_t len = rng() % buf.size();
    for (size_t j = 0; j < len; ++j) buf[j] = static_cast<uint8_t>(rng());
    if (len > 0 && i % 2 == 0) buf[0] = static_cast<uint8_t>(0x45 + (rng() % 2) * 0x20);
    int links[] = {kLinkEthernet, kLinkRaw, kLinkNull, kLinkLinuxSll, kLinkLinuxSll2, kLinkIpv6};
    PacketClass c = DecodePacket(links[i % 6], buf.data(), len, &t);
    if (c == PacketClass::kTcp) {
      ASSERT_GE(t.payload, buf.data());
      ASSERT_LE(t.payload + t.payload_len, buf.data() + len);
    }
  }
}

}  // namespace
}  // namespace mxir::capture
