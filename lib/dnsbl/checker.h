// RunChecks: checks every (target, zone) pair a zone covers, in one batch through a Resolver.
//
// Per zone and target kind it first asks the RFC 5782 test points (once per run, not per
// target): 127.0.0.2 (::ffff:7f00:2, "test") must come back listed and 127.0.0.1
// (::ffff:7f00:1, "invalid") must not. A zone that lists the "never listed" point, does not list
// the "always listed" one, or fails to answer them, gives `error` for every target with the
// explanation (no false listings from a dead zone, a wildcard or a resolver that silently blocks
// the list); a zone that answers its test point with a refusal code gives `refused`.
// Pairs the zone does not cover (an IP on a domain list, IPv6 on an IPv4-only list) are skipped
// and counted, never queried. TXT reasons are fetched only for listed and refused answers.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/timestamp.h"
#include "dnsbl/catalog.h"
#include "dnsbl/resolver.h"
#include "dnsbl/target.h"
#include "dnsbl/verdict.h"

namespace mxir::dnsbl {

struct CheckResult {
  Timestamp ts;
  std::string target, target_kind;  // "ip" or "domain"
  std::string zone, zone_id;
  CheckStatus status = CheckStatus::kError;
  std::vector<std::string> codes;
  std::string meaning;
  std::vector<std::string> txt;
};

struct ZoneHealth {
  std::string zone, kind;                        // kind: ip4, ip6, domain
  CheckStatus status = CheckStatus::kNotListed;  // kNotListed: healthy
  std::string reason;
};

struct CheckOptions {
  bool fetch_txt = true;
  bool health_checks = true;
};

struct CheckRun {
  std::vector<CheckResult> results;  // ordered by target, then zone as given
  std::vector<ZoneHealth> health;
  size_t skipped_not_covered = 0;
  size_t queries = 0;
};

CheckRun RunChecks(const std::vector<DnsblZone>& zones, const std::vector<DnsblTarget>& targets,
                   Resolver& resolver, const CheckOptions& options, Timestamp now);

// The record the tools print and store: target, zone, status, codes, meaning, txt (+ time).
nlohmann::ordered_json CheckResultJson(const CheckResult& r, bool with_time);

}  // namespace mxir::dnsbl
