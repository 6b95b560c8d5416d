#include "dnsbl_options.h"

#include <nlohmann/json.hpp>

#include "core/timestamp.h"

namespace mxir::tools {

const char* const kStatusHelp =
    "Statuses: listed (an answer the list documents as a listing), not_listed (NXDOMAIN and the\n"
    "zone passed its RFC 5782 test points), refused (the list refused the query: over quota, or\n"
    "a public resolver is blocked, e.g. Spamhaus 127.255.255.254, URIBL 127.0.0.1), error\n"
    "(timeout, SERVFAIL, a garbage reply, an answer outside 127.0.0.0/8, or a zone that fails its\n"
    "test points, e.g. one that lists everything). Only `listed` means listed.\n";

void AddDnsblRunOptions(Cli& cli, DnsblRunOptions& o) {
  cli.options().add_options()(
      "zone", po::value<std::vector<std::string>>(&o.zones)->value_name("ZONE"),
      "a list to check (repeatable): a catalog id or zone (spamhaus-zen, bl.spamcop.net), or "
      "ZONE=ip / ZONE=domain for one outside the catalog; default: every active catalog zone")(
      "catalog", po::value<std::string>(&o.catalog_path)->value_name("FILE"),
      "the zone catalog (default: the shipped share/mxir/dnsbl/catalog.json)")(
      "resolver", po::value<std::string>(&o.resolver)->value_name("HOST[:PORT]"),
      "send every query to this DNS server (default: /etc/resolv.conf). Use your own recursive "
      "resolver: public ones are refused or silently blocked by several lists")(
      "timeout", po::value<std::string>(&o.timeout)->default_value("2s")->value_name("DURATION"),
      "wait this long for each try of a query (500ms, 2s)")(
      "tries", po::value<int>(&o.tries)->default_value(2)->value_name("N"),
      "tries per query before it counts as a timeout (error)")(
      "concurrency", po::value<int>(&o.concurrency)->default_value(64)->value_name("N"),
      "at most N queries in flight")(
      "per-zone", po::value<int>(&o.per_zone)->default_value(8)->value_name("N"),
      "at most N of them to one zone (lists ask for a handful at a time)")(
      "no-txt", po::bool_switch(&o.no_txt), "do not ask for the TXT reason of listings")(
      "no-health-check", po::bool_switch(&o.no_health),
      "skip the RFC 5782 test points (not recommended: a dead zone then looks like a listing)");
}

Result<std::vector<dnsbl::DnsblZone>> SelectZones(const DnsblRunOptions& o) {
  Result<dnsbl::DnsblCatalog> cat = o.catalog_path.empty()
                                        ? dnsbl::DnsblCatalog::LoadDefault()
                                        : dnsbl::DnsblCatalog::LoadFile(o.catalog_path);
  if (!cat.ok()) return cat.error();
  std::vector<dnsbl::DnsblZone> zones;
  if (o.zones.empty()) {
    zones = cat->DefaultZones();
  } else {
    for (const auto& z : o.zones) {
      MXIR_ASSIGN_OR_RETURN(dnsbl::DnsblZone zone, cat->ResolveZoneArgument(z));
      bool dup = false;
      for (const auto& have : zones) dup = dup || have.zone == zone.zone;
      if (!dup) zones.push_back(std::move(zone));
    }
  }
  if (zones.empty()) {
    return MakeError(ErrorCode::kUsage, "no zones to check (the catalog has no active zones)");
  }
  return zones;
}

Result<std::unique_ptr<dnsbl::Resolver>> MakeResolver(const DnsblRunOptions& o) {
  dnsbl::ResolverOptions ro;
  ro.server = o.resolver;
  int64_t timeout_us = 0;
  if (o.timeout.size() > 2 && o.timeout.substr(o.timeout.size() - 2) == "ms" &&
      o.timeout.find_first_not_of("0123456789") == o.timeout.size() - 2) {
    timeout_us = std::stoll(o.timeout.substr(0, o.timeout.size() - 2)) * 1000;
  } else {
    auto d = ParseDuration(o.timeout);
    if (!d.ok()) return d.error().WithContext("--timeout");
    timeout_us = *d;
  }
  if (timeout_us < 10000 || timeout_us > 60 * kMicrosPerSecond) {
    return MakeError(ErrorCode::kUsage, "--timeout must be between 10ms and 60s");
  }
  if (o.tries < 1 || o.tries > 5) return MakeError(ErrorCode::kUsage, "--tries must be 1 to 5");
  if (o.concurrency < 1 || o.concurrency > 1024) {
    return MakeError(ErrorCode::kUsage, "--concurrency must be 1 to 1024");
  }
  ro.timeout_ms = static_cast<int>(timeout_us / 1000);
  ro.tries = o.tries;
  if (o.per_zone < 1 || o.per_zone > 1024) {
    return MakeError(ErrorCode::kUsage, "--per-zone must be 1 to 1024");
  }
  ro.max_in_flight = o.concurrency;
  ro.max_per_group = o.per_zone;
  return dnsbl::MakeCaresResolver(ro);
}

dnsbl::CheckOptions MakeCheckOptions(const DnsblRunOptions& o) {
  dnsbl::CheckOptions c;
  c.fetch_txt = !o.no_txt;
  c.health_checks = !o.no_health;
  return c;
}

void WarnUnhealthyZones(const Cli& cli, const dnsbl::CheckRun& run) {
  // Every list failing its self-test is the resolver, not the lists: say it once.
  size_t failed = 0;
  for (const auto& h : run.health) failed += h.status != dnsbl::CheckStatus::kNotListed;
  if (run.health.size() >= 3 && failed == run.health.size()) {
    cli.Warn("all " + std::to_string(failed) +
             " lists failed their self-test (RFC 5782 test points): the resolver is filtering or "
             "offline, so no answer can be trusted (all are 'error' or 'refused'). Use a resolver "
             "of your own: --resolver 127.0.0.1 with a local unbound, for example");
    return;
  }
  for (const auto& h : run.health) {
    if (h.status == dnsbl::CheckStatus::kNotListed) continue;
    cli.Warn(h.zone + " (" + h.kind + "): " + h.reason + "; its results are " +
             dnsbl::CheckStatusName(h.status));
  }
}

namespace {
void Count(const dnsbl::CheckRun& run, size_t* n) {
  for (const auto& r : run.results) ++n[static_cast<int>(r.status)];
}
}  // namespace

std::string RunSummary(const dnsbl::CheckRun& run, size_t zones) {
  size_t n[4] = {0, 0, 0, 0};
  Count(run, n);
  std::string s = std::to_string(run.results.size()) +
                  (run.results.size() == 1 ? " check on " : " checks on ") + std::to_string(zones) +
                  (zones == 1 ? " zone: " : " zones: ") + std::to_string(n[0]) + " listed, " +
                  std::to_string(n[1]) + " not listed, " + std::to_string(n[2]) + " refused, " +
                  std::to_string(n[3]) + " error; " + std::to_string(run.queries) + " DNS queries";
  if (run.skipped_not_covered) {
    s += "; " + std::to_string(run.skipped_not_covered) +
         " pairs skipped (the zone does not list that kind of target)";
  }
  return s;
}

std::string RunStatsJson(const dnsbl::CheckRun& run, size_t zones) {
  size_t n[4] = {0, 0, 0, 0};
  Count(run, n);
  nlohmann::ordered_json j;
  j["checks"] = run.results.size();
  j["zones"] = zones;
  j["queries"] = run.queries;
  j["listed"] = n[0];
  j["not_listed"] = n[1];
  j["refused"] = n[2];
  j["error"] = n[3];
  j["skipped"]["not_covered"] = run.skipped_not_covered;
  return j.dump();
}

}  // namespace mxir::tools
