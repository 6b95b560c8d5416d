// The live capture's BPF filters: the SMTP ports (with the user's own) or every TCP connection,
// compiled by libpcap and run on real frames, so what they let through is tested, not their text.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include "capture/live_source.h"
#include "packet_builder.h"

namespace mxir::capture {
namespace {

using testing::Ethernet;
using testing::IpPacket;
using testing::Segment;

// True when `filter` passes a TCP segment to (or from) `port`, over IPv4 or IPv6.
bool Passes(const std::string& filter, uint16_t port, bool to_server, bool v6) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
  bpf_program program;
  EXPECT_EQ(pcap_compile(dead, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0)
      << filter << ": " << pcap_geterr(dead);
  Segment s;
  if (v6) {
    s.src = "2001:db8::1";
    s.dst = "2001:db8::2";
  }
  s.sport = to_server ? 40001 : port;
  s.dport = to_server ? port : 40001;
  s.payload = "EHLO x\r\n";
  const auto frame = Ethernet(IpPacket(s), v6);
  pcap_pkthdr h{};
  h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
  const bool pass = pcap_offline_filter(&program, &h, frame.data()) != 0;
  pcap_freecode(&program);
  pcap_close(dead);
  return pass;
}

TEST(LiveFilter, SmtpPortsOnlyUnlessAskedForMore) {
  const LiveOptions defaults;
  const std::string with_own = TcpPortsFilter({25, 465, 587, 2525, 2600, 8025});
  for (bool v6 : {false, true}) {
    for (bool to_server : {true, false}) {
      for (uint16_t p : {25, 465, 587, 2525}) {
        EXPECT_TRUE(Passes(defaults.filter, p, to_server, v6)) << p;
        EXPECT_TRUE(Passes(with_own, p, to_server, v6)) << p;
      }
      // A port the user named is captured; one nobody named is not, except with every TCP.
      for (uint16_t p : {2600, 8025}) {
        EXPECT_FALSE(Passes(defaults.filter, p, to_server, v6)) << p;
        EXPECT_TRUE(Passes(with_own, p, to_server, v6)) << p;
      }
      for (uint16_t p : {26, 2601, 31337, 993}) {
        EXPECT_FALSE(Passes(with_own, p, to_server, v6)) << p;
        EXPECT_TRUE(Passes(kAnyTcpFilter, p, to_server, v6)) << p;
      }
    }
  }
}

TEST(LiveFilter, NoPortsMeansEveryTcpConnection) {
  EXPECT_EQ(TcpPortsFilter({}), kAnyTcpFilter);
  EXPECT_EQ(TcpPortsFilter({587, 25}), "tcp port 25 or tcp port 587");
}

TEST(LiveFilter, ChosenFromTheOptionsAndSaid) {
  const std::set<uint16_t> ports = {25, 465, 587, 2525, 8025};
  const LiveFilter own = ChooseLiveFilter("host 192.0.2.7", /*any_port=*/false, ports);
  EXPECT_EQ(own.bpf, "host 192.0.2.7");
  EXPECT_NE(own.description.find("host 192.0.2.7"), std::string::npos);
  const LiveFilter any = ChooseLiveFilter("", /*any_port=*/true, ports);
  EXPECT_EQ(any.bpf, kAnyTcpFilter);
  EXPECT_NE(any.description.find("every TCP connection"), std::string::npos);
  const LiveFilter smtp = ChooseLiveFilter("", /*any_port=*/false, ports);
  EXPECT_EQ(smtp.bpf, TcpPortsFilter(ports));
  EXPECT_TRUE(Passes(smtp.bpf, 8025, /*to_server=*/true, /*v6=*/false));
  EXPECT_FALSE(Passes(smtp.bpf, 993, /*to_server=*/true, /*v6=*/false));
  // The sentence names every port taken and how to take another.
  for (const char* p : {"25", "465", "587", "2525", "8025", "--smtp-port", "--any-port"}) {
    EXPECT_NE(smtp.description.find(p), std::string::npos) << p;
  }
}

}  // namespace
}  // namespace mxir::capture
