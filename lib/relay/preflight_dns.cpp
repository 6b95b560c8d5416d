#include "relay/preflight_dns.h"

#include "relay/relay_config.h"

namespace mxir::relay::preflight_dns {

using dnsbl::DnsAnswer;
using dnsbl::DnsOutcome;
using dnsbl::DnsQuery;
using dnsbl::DnsType;

DnsAnswer Ask(dnsbl::Resolver& r, const std::string& name, DnsType type) {
  DnsQuery q;
  q.name = name;
  q.type = type;
  q.group = "preflight";
  auto a = r.ResolveAll({q});
  return a.empty() ? DnsAnswer{} : a[0];
}

bool Failed(const DnsAnswer& a) {
  return a.outcome != DnsOutcome::kAnswer && a.outcome != DnsOutcome::kNxDomain &&
         a.outcome != DnsOutcome::kNoData;
}

std::string Why(const DnsAnswer& a) {
  std::string s = dnsbl::DnsOutcomeName(a.outcome);
  if (!a.detail.empty()) s += " (" + a.detail + ")";
  return s;
}

bool StartsWithNoCase(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && Lower(s.substr(0, prefix.size())) == prefix;
}

}  // namespace mxir::relay::preflight_dns
