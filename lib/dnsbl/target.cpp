#include "dnsbl/target.h"

namespace mxir::dnsbl {

Result<DnsblTarget> DnsblTarget::Ip(std::string_view text) {
  auto ip = IpAddress::Parse(text);
  if (!ip) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + std::string(text) +
                         "' is not an IP address (give it like 192.0.2.25 "
                         "or 2001:db8::25)");
  }
  IpAddress addr = ip->Unmapped();
  DnsblTarget t;
  t.kind = addr.is_v4() ? Kind::kIp4 : Kind::kIp6;
  t.ip = addr;
  t.text = addr.ToString();
  return t;
}

Result<DnsblTarget> DnsblTarget::Domain(std::string_view text) {
  if (IpAddress::Parse(text)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + std::string(text) + "' is an IP address, not a domain: use --ip");
  }
  auto name = NormaliseZoneName(text);
  if (!name.ok()) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + std::string(text) + "' is not a domain name (give it like example.com)");
  }
  DnsblTarget t;
  t.kind = Kind::kDomain;
  t.text = *name;
  return t;
}

Result<DnsblTarget> DnsblTarget::Parse(std::string_view text) {
  if (IpAddress::Parse(text)) return Ip(text);
  return Domain(text);
}

bool ZoneCovers(const DnsblZone& zone, const DnsblTarget& target) {
  switch (target.kind) {
    case DnsblTarget::Kind::kIp4:
      return zone.ip4;
    case DnsblTarget::Kind::kIp6:
      return zone.ip6;
    case DnsblTarget::Kind::kDomain:
      return zone.domain;
  }
  return false;
}

Result<std::string> QueryName(const DnsblTarget& target, const DnsblZone& zone) {
  if (!ZoneCovers(zone, target)) {
    const char* what = target.kind == DnsblTarget::Kind::kDomain ? "a domain"
                       : target.kind == DnsblTarget::Kind::kIp4  ? "an IPv4 address"
                                                                 : "an IPv6 address";
    return MakeError(ErrorCode::kInvalidInput,
                     zone.zone + " does not list " + std::string(what) + " (" + target.text + ")");
  }
  if (target.is_ip()) return target.ip.ReversePointer() + "." + zone.zone;
  return target.text + "." + zone.zone;
}

TestPoints TestPointsFor(const DnsblZone& zone, DnsblTarget::Kind kind) {
  auto make = [&](const std::string& override_text, uint8_t last_octet,
                  const char* domain_default) -> std::optional<DnsblTarget> {
    if (override_text == "none") return std::nullopt;
    DnsblTarget t;
    t.kind = kind;
    switch (kind) {
      case DnsblTarget::Kind::kDomain:
        // Test names are single labels ("test"), which Domain() would refuse.
        t.text = override_text.empty() ? domain_default : override_text;
        return t;
      case DnsblTarget::Kind::kIp4:
        if (!override_text.empty()) {
          auto ip = DnsblTarget::Ip(override_text);
          if (!ip.ok() || !ip->ip.is_v4()) return std::nullopt;
          return *ip;
        }
        t.ip = IpAddress::V4((127u << 24) | last_octet);
        break;
      case DnsblTarget::Kind::kIp6: {
        // ::ffff:7f00:N, kept as IPv6 (a target would be unmapped to IPv4).
        std::array<uint8_t, 16> b{};
        b[10] = b[11] = 0xff;
        b[12] = 127;
        b[15] = last_octet;
        t.ip = IpAddress::V6(b);
        break;
      }
    }
    t.text = t.ip.ToString();
    return t;
  };
  TestPoints tp;
  tp.listed = make(zone.test_listed, 2, "test");
  tp.unlisted = make(zone.test_unlisted, 1, "invalid");
  return tp;
}

}  // namespace mxir::dnsbl
