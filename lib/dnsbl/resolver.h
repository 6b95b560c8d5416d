// Resolver: the DNS seam of the blocklist checker. The checker hands over a batch of queries and
// gets one DnsAnswer per query, in the same order; failures (timeouts, SERVFAIL, garbage) are
// per answer, never an exception or a crash. Tests use a fake; tools use MakeCaresResolver().
//
// The c-ares resolver runs the batch on the calling thread with at most `max_in_flight` queries
// outstanding and at most `max_per_group` per zone (zones taken round robin), a per-try timeout
// and a bounded number of tries, and gives up on the whole batch when nothing has progressed for
// a while (every unanswered query then reports kTimeout).
// One resolver is not thread-safe; make one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "dnsbl/dns_answer.h"

namespace mxir::dnsbl {

struct DnsQuery {
  std::string name;  // fully qualified, no trailing dot
  DnsType type = DnsType::kA;
  std::string server;  // "HOST[:PORT]" for this query only; empty: the resolver's server
  std::string group;   // queries of one group (a zone) share the per-group concurrency limit
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual std::vector<DnsAnswer> ResolveAll(const std::vector<DnsQuery>& queries) = 0;
};

struct ResolverOptions {
  std::string server;  // "HOST[:PORT]" (IP address; IPv6 as [addr]:port); empty: /etc/resolv.conf
  int timeout_ms = 2000;
  int tries = 2;
  int max_in_flight = 64;
  int max_per_group = 8;  // in flight per zone: lists ask for "a handful at a time"
};

// Checks "HOST[:PORT]" (HOST an IPv4 or IPv6 address) and returns c-ares' server form.
Result<std::string> ParseServerSpec(const std::string& spec);

Result<std::unique_ptr<Resolver>> MakeCaresResolver(const ResolverOptions& options);

}  // namespace mxir::dnsbl
