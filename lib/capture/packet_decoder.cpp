// PacketDecoder: bounds-checked, allocation-free decoding of link, IP and TCP headers.
#include "capture/packet_decoder.h"

#include <cstring>

namespace mxir::capture {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr int kMaxVlanTags = 8;
constexpr int kMaxIpv6ExtensionHeaders = 16;

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[3]) << 24 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[1]) << 8 | p[0];
}

// The TCP header at `p` with `avail` captured bytes of a segment of `seg_len` bytes (from the
// IP header).
PacketClass DecodeTcp(const uint8_t* p, size_t avail, size_t seg_len, DecodedTcp* out) {
  if (seg_len < 20) return PacketClass::kBadTcpHeader;
  if (avail < 20) return PacketClass::kTruncatedTcp;
  size_t header_len = static_cast<size_t>(p[12] >> 4) * 4;
  if (header_len < 20 || header_len > seg_len) return PacketClass::kBadTcpHeader;
  if (avail < header_len) return PacketClass::kTruncatedTcp;
  out->src_port = Be16(p);
  out->dst_port = Be16(p + 2);
  out->seq = Be32(p + 4);
  out->ack = Be32(p + 8);
  out->flags = p[13];
  size_t payload_total = seg_len - header_len;
  size_t captured = avail - header_len;
  if (captured > payload_total) captured = payload_total;
  out->payload = p + header_len;
  out->payload_len = static_cast<uint32_t>(captured);
  out->missing_len = static_cast<uint32_t>(payload_total - captured);
  return PacketClass::kTcp;
}

PacketClass DecodeIpv4(const uint8_t* p, size_t avail, DecodedTcp* out) {
  if (avail < 20) return PacketClass::kTruncatedIp;
  if ((p[0] >> 4) != 4) return PacketClass::kBadIpHeader;
  size_t header_len = static_cast<size_t>(p[0] & 0x0F) * 4;
  size_t total_len = Be16(p + 2);
  if (header_len < 20 || total_len < header_len) return PacketClass::kBadIpHeader;
  if (avail < header_len) return PacketClass::kTruncatedIp;
  uint16_t frag = Be16(p + 6);
  bool more_fragments = (frag & 0x2000) != 0;
  uint16_t offset = frag & 0x1FFF;
  if (more_fragments || offset != 0) return PacketClass::kIpFragment;
  if (p[9] != 6) return PacketClass::kNotTcp;
  out->v6 = false;
  std::memset(out->src_ip, 0, sizeof out->src_ip);
  std::memset(out->dst_ip, 0, sizeof out->dst_ip);
  std::memcpy(out->src_ip, p + 12, 4);
  std::memcpy(out->dst_ip, p + 16, 4);
  // Ethernet pads short frames: the IP total length says where the packet ends.
  size_t in_frame = avail < total_len ? avail : total_len;
  return DecodeTcp(p + header_len, in_frame - header_len, total_len - header_len, out);
}

PacketClass DecodeIpv6(const uint8_t* p, size_t avail, DecodedTcp* out) {
  if (avail < 40) return PacketClass::kTruncatedIp;
  if ((p[0] >> 4) != 6) return PacketClass::kBadIpHeader;
  size_t payload_len = Be16(p + 4);
  if (payload_len == 0) return PacketClass::kBadIpHeader;  // jumbogram or empty: not SMTP
  size_t total_len = 40 + payload_len;
  size_t in_frame = avail < total_len ? avail : total_len;
  uint8_t next = p[6];
  size_t off = 40;
  for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) {
    switch (next) {
      case 6: {
        if (off > in_frame) return PacketClass::kTruncatedIp;
        out->v6 = true;
        std::memcpy(out->src_ip, p + 8, 16);
        std::memcpy(out->dst_ip, p + 24, 16);
        return DecodeTcp(p + off, in_frame - off, total_len - off, out);
      }
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60:    // destination options
      case 51: {  // authentication header (length in 4-byte units, minus 2)
        if (off + 2 > total_len) return PacketClass::kBadIpHeader;
        if (off + 2 > in_frame) return PacketClass::kTruncatedIp;
        size_t len = next == 51 ? (static_cast<size_t>(p[off + 1]) + 2) * 4
                                : (static_cast<size_t>(p[off + 1]) + 1) * 8;
        if (off + len > total_len) return PacketClass::kBadIpHeader;
        next = p[off];
        off += len;
        break;
      }
      case 44:
        return PacketClass::kIpFragment;
      default:
        return PacketClass::kNotTcp;  // 59 (no next header), ESP, UDP, ICMPv6, ...
    }
  }
  return PacketClass::kBadIpHeader;  // an absurd chain of extension headers
}

PacketClass DecodeByEtherType(uint16_t type, const uint8_t* p, size_t avail, DecodedTcp* out) {
  if (type == kEtherIpv4) return DecodeIpv4(p, avail, out);
  if (type == kEtherIpv6) return DecodeIpv6(p, avail, out);
  return PacketClass::kNotIp;
}

// By the IP version nibble (raw IP link types).
PacketClass DecodeRawIp(const uint8_t* p, size_t avail, DecodedTcp* out) {
  if (avail < 1) return PacketClass::kTruncatedLink;
  int version = p[0] >> 4;
  if (version == 4) return DecodeIpv4(p, avail, out);
  if (version == 6) return DecodeIpv6(p, avail, out);
  return PacketClass::kBadIpHeader;
}

PacketClass DecodeEthernet(const uint8_t* p, size_t avail, DecodedTcp* out) {
  if (avail < 14) return PacketClass::kTruncatedLink;
  uint16_t type = Be16(p + 12);
  size_t off = 14;
  for (int tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld; ++tags) {
    if (tags == kMaxVlanTags) return PacketClass::kNotIp;
    if (avail < off + 4) return PacketClass::kTruncatedLink;
    type = Be16(p + off + 2);
    off += 4;
  }
  return DecodeByEtherType(type, p + off, avail - off, out);
}

// BSD loopback: a 4-byte address family in the byte order of the capturing host (NULL) or in
// network order (LOOP). IPv6 has several values depending on the BSD.
PacketClass DecodeNull(const uint8_t* p, size_t avail, bool network_order, DecodedTcp* out) {
  if (avail < 4) return PacketClass::kTruncatedLink;
  uint32_t family = network_order ? Be32(p) : Le32(p);
  if (!network_order && family > 0xFFFF) family = Be32(p);  // written on a big-endian host
  if (family == 2) return DecodeIpv4(p + 4, avail - 4, out);
  if (family == 24 || family == 28 || family == 30) return DecodeIpv6(p + 4, avail - 4, out);
  return PacketClass::kNotIp;
}

}  // namespace

const char* PacketClassName(PacketClass c) {
  switch (c) {
    case PacketClass::kTcp:
      return "tcp";
    case PacketClass::kNotIp:
      return "not_ip";
    case PacketClass::kNotTcp:
      return "not_tcp";
    case PacketClass::kIpFragment:
      return "ip_fragment";
    case PacketClass::kUnsupportedLinkType:
      return "unsupported_link_type";
    case PacketClass::kTruncatedLink:
      return "truncated_link_header";
    case PacketClass::kBadIpHeader:
      return "bad_ip_header";
    case PacketClass::kTruncatedIp:
      return "truncated_ip_header";
    case PacketClass::kBadTcpHeader:
      return "bad_tcp_header";
    case PacketClass::kTruncatedTcp:
      return "truncated_tcp_header";
  }
  return "unknown";
}

bool IsDecodeError(PacketClass c) {
  return c != PacketClass::kTcp && c != PacketClass::kNotIp && c != PacketClass::kNotTcp &&
         c != PacketClass::kIpFragment;
}

PacketClass DecodePacket(int link_type, const uint8_t* data, size_t caplen, DecodedTcp* out) {
  switch (link_type) {
    case kLinkEthernet:
      return DecodeEthernet(data, caplen, out);
    case kLinkLinuxSll:
      if (caplen < 16) return PacketClass::kTruncatedLink;
      return DecodeByEtherType(Be16(data + 14), data + 16, caplen - 16, out);
    case kLinkLinuxSll2:
      if (caplen < 20) return PacketClass::kTruncatedLink;
      return DecodeByEtherType(Be16(data), data + 20, caplen - 20, out);
    case kLinkNull:
      return DecodeNull(data, caplen, false, out);
    case kLinkLoop:
      return DecodeNull(data, caplen, true, out);
    case kLinkRaw:
    case kLinkRawOpenBsd:
    case kLinkRawType:
      return DecodeRawIp(data, caplen, out);
    case kLinkIpv4:
      return DecodeIpv4(data, caplen, out);
    case kLinkIpv6:
      return DecodeIpv6(data, caplen, out);
    default:
      return PacketClass::kUnsupportedLinkType;
  }
}

}  // namespace mxir::capture
