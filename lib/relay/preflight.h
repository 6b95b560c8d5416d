// Preflight: is the clean path ready before the company MTA is pointed at it
// (relay-design.md §7.4, relay-security.md §6 item 15)? Each check gives pass, fail, unknown or
// skipped with what was seen and, unless it passed, a plain-language fix:
//   ptr       the clean IP's PTR names the relay's hostname;
//   forward   the hostname's A records include the IP (FCrDNS), so HELO = PTR = A agree;
//   spf       per company domain, SPF evaluated (RFC 7208: ip4/ip6/a/mx/include/redirect/exists/
//             all, the 10-lookup and 2-void-lookup limits) for the IP: pass or fail, never grepped;
//   dkim      per domain, the selector's key is published and a test signature made with the
//             configured private key verifies with it;
//   dmarc     per domain, a DMARC record exists and mail from the relay aligns (DKIM d= or SPF);
//   dnsbl     the IP on each blocklist (lib/dnsbl with RFC 5782 test points): only a listing
//             fails; a refused or failed answer is "unknown", never "listed";
//   backlog   (with a company Postfix queue) no queued mail from accounts under investigation
//             and no bounce flood waiting to go out through the new IP.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dnsbl/catalog.h"
#include "dnsbl/resolver.h"
#include "relay/relay_config.h"
#include "relay/relay_queue.h"
#include "relay/spf.h"  // EvaluateSpf, the spf check

namespace mxir::relay {

struct PreflightCheck {
  std::string check, target, status, detail, fix;  // status: pass, fail, unknown, skipped
};

struct PreflightOptions {
  std::vector<dnsbl::DnsblZone> zones;                        // blocklists to ask
  std::set<std::string> investigated;                         // accounts whose backlog counts
  const std::vector<QueuedMessage>* company_queue = nullptr;  // null: backlog skipped
  int max_bounces = 50;  // null-sender messages tolerated in the backlog
};

std::vector<PreflightCheck> RunPreflight(const RelayConfig& c, dnsbl::Resolver& resolver,
                                         const PreflightOptions& options);

nlohmann::ordered_json PreflightJson(const PreflightCheck& c);

}  // namespace mxir::relay
