// mxir dnsbl — blocklist checks, watching and the delisting workflow.
#include <iostream>
#include <string>

#include "commands.h"
#include "core/cli.h"
#include "core/record_printer.h"
#include "core/version.h"
#include "dnsbl_options.h"

namespace mxir::tools {

int DnsblZones(int argc, char** argv) {
  std::string catalog_path;
  bool all = false;
  Cli cli("dnsbl zones", "the blocklists mxir knows", "[--all] [--catalog FILE] [--format ...]",
          "Prints the catalog: each zone, what it lists, its state (active zones are checked by\n"
          "default; uncertain and key_required ones only when named; defunct ones never) and how\n"
          "delisting works.");
  cli.options().add_options()("all", po::bool_switch(&all), "include inactive and defunct zones")(
      "catalog", po::value<std::string>(&catalog_path)->value_name("FILE"), "the zone catalog");
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  auto cat = catalog_path.empty() ? dnsbl::DnsblCatalog::LoadDefault()
                                  : dnsbl::DnsblCatalog::LoadFile(catalog_path);
  if (!cat.ok()) return cli.Fail(cat.error());
  RecordPrinter p(std::cout, cli.common.format,
                  {{"id", "ID", 20},
                   {"zone", "ZONE", 32},
                   {"kinds", "KINDS", 16},
                   {"state", "STATE", 12},
                   {"next_action", "NEXT ACTION", 70}});
  for (const auto& z : cat->zones()) {
    if (!all && z.state != dnsbl::ZoneState::kActive) continue;
    nlohmann::ordered_json j;
    j["id"] = z.id;
    j["zone"] = z.zone;
    std::vector<std::string> kinds;
    if (z.ip4) kinds.push_back("ip4");
    if (z.ip6) kinds.push_back("ip6");
    if (z.domain) kinds.push_back("domain");
    j["kinds"] = kinds;
    j["state"] = dnsbl::ZoneStateName(z.state);
    j["operator"] = z.operator_name;
    j["delisting"] = z.delisting;
    j["next_action"] = z.next_action;
    j["removal_url"] = z.removal_url;
    j["note"] = z.note;
    p.Add(j);
  }
  p.Finish();
  return kExitOk;
}

}  // namespace mxir::tools

namespace {

void Usage(std::ostream& out) {
  out << "mxir dnsbl — is the company's IP or domain on a blocklist, and how is the delisting\n"
         "going?\n\n"
         "Usage: mxir dnsbl COMMAND [OPTIONS]\n\n"
         "Commands:\n"
         "  check    check IPs and domains now:  mxir dnsbl check --ip 203.0.113.25\n"
         "  watch    re-check the case's assets, record results, alert on changes\n"
         "  delist   the delisting workflow: delist status | note | request\n"
         "  history  what the case recorded per (target, list): checks and workflow events\n"
         "  zones    the blocklists in the catalog\n\n"
         "Run 'mxir dnsbl COMMAND --help' for a command's options.\n"
         "Exit status: 0 ok; 1 --fail-on matched; 2 bad usage or input; 3 internal error.\n";
}

}  // namespace

int mxir_dnsbl_main(int argc, char** argv) {
  using namespace mxir::tools;
  return mxir::DispatchSubcommand("dnsbl", argc, argv,
                                  {{"check", DnsblCheck},
                                   {"watch", DnsblWatch},
                                   {"delist", DnsblDelist},
                                   {"zones", DnsblZones},
                                   {"history", DnsblHistory}},
                                  Usage);
}
