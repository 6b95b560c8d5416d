// Test helper: frame and capture-file builders (see packet_builder.h).
#include "packet_builder.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <unistd.h>

namespace mxir::capture::testing {
namespace {

void Put16(Bytes& b, uint16_t v) {
  b.push_back(v >> 8);
  b.push_back(v & 0xFF);
}
void Put32(Bytes& b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xFFFF);
}
void Le16(Bytes& b, uint16_t v) {
  b.push_back(v & 0xFF);
  b.push_back(v >> 8);
}
void Le32(Bytes& b, uint32_t v) {
  Le16(b, v & 0xFFFF);
  Le16(b, v >> 16);
}

}  // namespace

Bytes IpPacket(const Segment& s, const Bytes& ipv6_ext, uint8_t ipv6_first_next) {
  bool v6 = s.src.find(':') != std::string::npos;
  Bytes tcp;
  Put16(tcp, s.sport);
  Put16(tcp, s.dport);
  Put32(tcp, s.seq);
  Put32(tcp, s.ack);
  tcp.push_back(5 << 4);
  tcp.push_back(s.flags);
  Put16(tcp, 65535);
  Put16(tcp, 0);
  Put16(tcp, 0);
  tcp.insert(tcp.end(), s.payload.begin(), s.payload.end());
  Bytes ip;
  if (!v6) {
    uint8_t a[4], b[4];
    inet_pton(AF_INET, s.src.c_str(), a);
    inet_pton(AF_INET, s.dst.c_str(), b);
    ip.push_back(0x45);
    ip.push_back(0);
    Put16(ip, static_cast<uint16_t>(20 + tcp.size() + s.announced_extra));
    Put16(ip, 1);
    Put16(ip, 0x4000);  // don't fragment
    ip.push_back(64);
    ip.push_back(6);
    Put16(ip, 0);
    ip.insert(ip.end(), a, a + 4);
    ip.insert(ip.end(), b, b + 4);
  } else {
    uint8_t a[16], b[16];
    inet_pton(AF_INET6, s.src.c_str(), a);
    inet_pton(AF_INET6, s.dst.c_str(), b);
    Put32(ip, 0x60000000);
    Put16(ip, static_cast<uint16_t>(ipv6_ext.size() + tcp.size() + s.announced_extra));
    ip.push_back(ipv6_first_next);
    ip.push_back(64);
    ip.insert(ip.end(), a, a + 16);
    ip.insert(ip.end(), b, b + 16);
    ip.insert(ip.end(), ipv6_ext.begin(), ipv6_ext.end());
  }
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

Bytes Ethernet(const Bytes& ip, bool v6, int vlan_tags) {
  Bytes f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (int i = 0; i < vlan_tags; ++i) {
    Put16(f, i == 0 && vlan_tags > 1 ? 0x88A8 : 0x8100);
    Put16(f, static_cast<uint16_t>(100 + i));
  }
  Put16(f, v6 ? 0x86DD : 0x0800);
  f.insert(f.end(), ip.begin(), ip.end());
  while (f.size() < 60) f.push_back(0);  // Ethernet padding
  return f;
}

Bytes LinuxSll(const Bytes& ip, bool v6) {
  Bytes f = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Put16(f, v6 ? 0x86DD : 0x0800);
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

Bytes LinuxSll2(const Bytes& ip, bool v6) {
  Bytes f;
  Put16(f, v6 ? 0x86DD : 0x0800);
  Put16(f, 0);
  Put32(f, 1);  // interface index
  Put16(f, 1);
  f.push_back(0);
  f.push_back(6);
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(i));
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

Bytes BsdNull(const Bytes& ip, bool v6, bool big_endian) {
  Bytes f;
  uint32_t family = v6 ? 30 : 2;
  if (big_endian) {
    Put32(f, family);
  } else {
    Le32(f, family);
  }
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

Bytes PcapFile(int link_type, const std::vector<Frame>& frames, uint32_t snaplen) {
  Bytes b;
  Le32(b, 0xA1B2C3D4);
  Le16(b, 2);
  Le16(b, 4);
  Le32(b, 0);
  Le32(b, 0);
  Le32(b, snaplen);
  Le32(b, static_cast<uint32_t>(link_type));
  for (const Frame& f : frames) {
    Le32(b, static_cast<uint32_t>(f.ts_us / 1000000));
    Le32(b, static_cast<uint32_t>(f.ts_us % 1000000));
    Le32(b, static_cast<uint32_t>(f.data.size()));
    Le32(b, f.wirelen != 0 ? f.wirelen : static_cast<uint32_t>(f.data.size()));
    b.insert(b.end(), f.data.begin(), f.data.end());
  }
  return b;
}

Bytes PcapNgFile(int link_type, const std::vector<Frame>& frames) {
  Bytes b;
  // Section header block.
  Le32(b, 0x0A0D0D0A);
  Le32(b, 28);
  Le32(b, 0x1A2B3C4D);
  Le16(b, 1);
  Le16(b, 0);
  Le32(b, 0xFFFFFFFF);
  Le32(b, 0xFFFFFFFF);
  Le32(b, 28);
  // Interface description block (default resolution: microseconds).
  Le32(b, 1);
  Le32(b, 20);
  Le16(b, static_cast<uint16_t>(link_type));
  Le16(b, 0);
  Le32(b, 262144);
  Le32(b, 20);
  for (const Frame& f : frames) {
    uint32_t padded = (static_cast<uint32_t>(f.data.size()) + 3) & ~3u;
    uint32_t len = 32 + padded;
    Le32(b, 6);
    Le32(b, len);
    Le32(b, 0);
    uint64_t ts = static_cast<uint64_t>(f.ts_us);
    Le32(b, static_cast<uint32_t>(ts >> 32));
    Le32(b, static_cast<uint32_t>(ts & 0xFFFFFFFF));
    Le32(b, static_cast<uint32_t>(f.data.size()));
    Le32(b, f.wirelen != 0 ? f.wirelen : static_cast<uint32_t>(f.data.size()));
    b.insert(b.end(), f.data.begin(), f.data.end());
    for (uint32_t i = static_cast<uint32_t>(f.data.size()); i < padded; ++i) b.push_back(0);
    Le32(b, len);
  }
  return b;
}

std::string WriteTemp(const Bytes& content, const std::string& suffix) {
  char tmpl[] = "/tmp/mxir-capture-test-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  std::string path = std::string(tmpl) + suffix;
  if (!content.empty() &&
      write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    throw std::runtime_error("write failed");
  }
  close(fd);
  std::rename(tmpl, path.c_str());
  return path;
}

}  // namespace mxir::capture::testing
