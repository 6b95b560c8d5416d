// PacketDecoder: one captured frame -> the TCP segment inside it, as a pure function over bytes.
//
// Link types: Ethernet (with any number of 802.1Q / 802.1ad / QinQ tags, bounded), Linux cooked
// SLL and SLL2, BSD loopback/NULL (either byte order) and OpenBSD LOOP, raw IP (DLT_RAW,
// LINKTYPE_RAW, DLT_IPV4, DLT_IPV6). IPv4 with options; IPv6 with extension headers (hop-by-hop,
// routing, destination options, AH; a fragment header makes the packet a fragment).
//
// DecodePacket never allocates, never reads outside [data, data + caplen) and never asserts on
// input: anything it cannot use comes back as a PacketClass saying why (the caller counts it).
// The DecodedTcp it fills points into `data`, so it is valid only as long as the frame is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mxir::capture {

// libpcap DLT_* / LINKTYPE_* values we understand (numbers from pcap/dlt.h and the tcpdump.org
// link-type registry; spelled out so this file does not need libpcap).
inline constexpr int kLinkNull = 0;
inline constexpr int kLinkEthernet = 1;
inline constexpr int kLinkRaw = 12;         // DLT_RAW on Linux and most systems
inline constexpr int kLinkRawOpenBsd = 14;  // DLT_RAW on OpenBSD
inline constexpr int kLinkRawType = 101;    // LINKTYPE_RAW as stored in files
inline constexpr int kLinkLoop = 108;
inline constexpr int kLinkLinuxSll = 113;
inline constexpr int kLinkIpv4 = 228;
inline constexpr int kLinkIpv6 = 229;
inline constexpr int kLinkLinuxSll2 = 276;

// What a frame turned out to be. kTcp is the only one with a filled DecodedTcp.
enum class PacketClass : uint8_t {
  kTcp,
  // Not for us, not an error (counted as "skipped.*").
  kNotIp,       // ARP, LLDP, ...
  kNotTcp,      // UDP, ICMP, ESP, ...
  kIpFragment,  // an IPv4 or IPv6 fragment (not reassembled, counted)
  // Malformed or cut short (counted as "decode_errors.*").
  kUnsupportedLinkType,
  kTruncatedLink,  // frame shorter than its link header
  kBadIpHeader,    // wrong version, header length or total length
  kTruncatedIp,    // captured bytes end inside the IP header or its extension headers
  kBadTcpHeader,   // data offset below 5 or beyond the segment
  kTruncatedTcp,   // captured bytes end inside the TCP header
};
// Counter-friendly name: "tcp", "not_ip", "bad_ip_header", ...
const char* PacketClassName(PacketClass c);
// True for the classes that mean malformed input rather than "not for us".
bool IsDecodeError(PacketClass c);

// TCP flag bits as in the header.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

struct DecodedTcp {
  bool v6 = false;
  uint8_t src_ip[16] = {}, dst_ip[16] = {};  // network order; first 4 bytes for IPv4
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  const uint8_t* payload = nullptr;  // the captured payload bytes
  uint32_t payload_len = 0;          // captured payload bytes (Ethernet padding removed)
  uint32_t missing_len = 0;          // payload bytes the IP header announces but the capture lacks
};

// Decodes one frame of link type `link_type`. `caplen` bytes are present at `data`.
PacketClass DecodePacket(int link_type, const uint8_t* data, size_t caplen, DecodedTcp* out);

}  // namespace mxir::capture
