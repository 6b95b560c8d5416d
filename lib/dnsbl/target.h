// DnsblTarget: what is checked against a blocklist (an IPv4 or IPv6 address, or a domain), and
// the DNS name asked for a (target, zone) pair: reversed octets for IPv4, reversed nibbles for
// IPv6 (RFC 5782), the domain itself for domain lists. QueryName() refuses a pair the zone does
// not cover, so an IP is never sent to a domain list nor a domain to an IP list.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/ip_address.h"
#include "core/status.h"
#include "dnsbl/catalog.h"

namespace mxir::dnsbl {

struct DnsblTarget {
  enum class Kind { kIp4, kIp6, kDomain };
  Kind kind = Kind::kIp4;
  std::string text;  // canonical: RFC 5952 address, or lower-case domain without trailing dot
  IpAddress ip;      // valid for kIp4/kIp6

  static Result<DnsblTarget> Ip(std::string_view text);
  static Result<DnsblTarget> Domain(std::string_view text);
  // An address if it parses as one, else a domain.
  static Result<DnsblTarget> Parse(std::string_view text);
  bool is_ip() const { return kind != Kind::kDomain; }
};

// True when `zone` lists targets of this kind.
bool ZoneCovers(const DnsblZone& zone, const DnsblTarget& target);

// "2.0.0.127.zen.spamhaus.org"; kInvalidInput when the zone does not cover the target's kind.
Result<std::string> QueryName(const DnsblTarget& target, const DnsblZone& zone);

// The RFC 5782 test points for a zone and target kind: the one that must be listed and the one
// that must not be (each may be absent when the catalog disables it with "none").
struct TestPoints {
  std::optional<DnsblTarget> listed, unlisted;
};
TestPoints TestPointsFor(const DnsblZone& zone, DnsblTarget::Kind kind);

}  // namespace mxir::dnsbl
