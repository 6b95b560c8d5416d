// SPF evaluation (RFC 7208 check_host()) of an IP under a domain, for preflight's spf check:
// ip4/ip6/a/mx/include/redirect/exists/all, the 10-lookup and 2-void-lookup limits. Evaluated
// through the resolver, never grepped; SPF macros are not expanded (a permerror says so).
#pragma once

#include <string>

#include "core/ip_address.h"
#include "dnsbl/resolver.h"

namespace mxir::relay {

// SPF result for `ip` under `domain` ("pass", "fail", "softfail", "neutral", "none", "permerror",
// "temperror") with the reason; at most 10 DNS-querying terms (RFC 7208 §4.6.4).
struct SpfResult {
  std::string result, reason;
  int lookups = 0;
};
SpfResult EvaluateSpf(dnsbl::Resolver& resolver, const std::string& domain, const IpAddress& ip);

}  // namespace mxir::relay
