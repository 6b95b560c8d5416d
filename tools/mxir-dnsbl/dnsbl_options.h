// Options shared by `mxir dnsbl check` and `mxir dnsbl watch`: which zones (catalog, --zone), and
// how to reach DNS (--resolver, --timeout, --tries, --concurrency).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/cli.h"
#include "dnsbl/catalog.h"
#include "dnsbl/checker.h"
#include "dnsbl/resolver.h"

namespace mxir::tools {

struct DnsblRunOptions {
  std::vector<std::string> zones;
  std::string catalog_path, resolver, timeout = "2s";
  int tries = 2, concurrency = 64, per_zone = 8;
  bool no_txt = false, no_health = false;
};

void AddDnsblRunOptions(Cli& cli, DnsblRunOptions& o);

// Loads the catalog and picks the zones: the --zone list, else the catalog's active zones.
Result<std::vector<dnsbl::DnsblZone>> SelectZones(const DnsblRunOptions& o);
Result<std::unique_ptr<dnsbl::Resolver>> MakeResolver(const DnsblRunOptions& o);
dnsbl::CheckOptions MakeCheckOptions(const DnsblRunOptions& o);

// The one-line summary for stderr and the --stats json object.
std::string RunSummary(const dnsbl::CheckRun& run, size_t zones);
std::string RunStatsJson(const dnsbl::CheckRun& run, size_t zones);

// Warns once per zone that failed its RFC 5782 test points (not once per target).
void WarnUnhealthyZones(const Cli& cli, const dnsbl::CheckRun& run);

// Shared --help text about statuses.
extern const char* const kStatusHelp;

}  // namespace mxir::tools
