// Test helper: builds link/IP/TCP frames byte by byte, and pcap / pcapng files from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mxir::capture::testing {

using Bytes = std::vector<uint8_t>;

struct Segment {
  std::string src = "10.0.0.1", dst = "10.0.0.2";  // both IPv4 or both IPv6
  uint16_t sport = 40000, dport = 25;
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = 0x18;  // PSH|ACK
  std::string payload;
  uint32_t announced_extra = 0;  // payload bytes the IP length claims but the frame lacks
};

// The IP packet (IPv4 or IPv6 by the address form) carrying the segment.
Bytes IpPacket(const Segment& s, const Bytes& ipv6_ext = {}, uint8_t ipv6_first_next = 6);
// IP packet inside a link header.
Bytes Ethernet(const Bytes& ip, bool v6, int vlan_tags = 0);
Bytes LinuxSll(const Bytes& ip, bool v6);
Bytes LinuxSll2(const Bytes& ip, bool v6);
Bytes BsdNull(const Bytes& ip, bool v6, bool big_endian = false);

struct Frame {
  int64_t ts_us = 0;
  Bytes data;
  uint32_t wirelen = 0;  // 0: data.size()
};
// Classic pcap (microsecond magic, little-endian) and pcapng (SHB, IDB, EPBs).
Bytes PcapFile(int link_type, const std::vector<Frame>& frames, uint32_t snaplen = 262144);
Bytes PcapNgFile(int link_type, const std::vector<Frame>& frames);
// Writes bytes to a fresh temporary file and returns its path.
std::string WriteTemp(const Bytes& content, const std::string& suffix);

}  // namespace mxir::capture::testing
