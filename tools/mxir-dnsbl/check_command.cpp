// mxir dnsbl check: one-off checks of IPs and domains, printed and optionally recorded.
#include <iostream>

#include "casedb/case_db.h"
#include "commands.h"
#include "core/clock.h"
#include "core/record_printer.h"
#include "dnsbl/case_recorder.h"
#include "dnsbl_options.h"

namespace mxir::tools {

int DnsblCheck(int argc, char** argv) {
  Cli cli("dnsbl check", "is this IP or domain on a blocklist?",
          "--ip IP... --domain NAME... [--zone ZONE...] [--resolver HOST[:PORT]] [OPTIONS]",
          "Asks each blocklist (DNSBL) zone about each target and prints one result per\n"
          "(target, zone). IPv4 addresses are asked with reversed octets, IPv6 with reversed\n"
          "nibbles, domains as they are; an IP is never sent to a domain list, nor a domain to\n"
          "an IP list. Each zone is first tested with its RFC 5782 test points, so a dead zone\n"
          "that answers 'listed' for everything gives `error`, not a false listing.\n\n" +
              std::string(kStatusHelp));
  std::vector<std::string> ips, domains, positional;
  std::string fail_on;
  DnsblRunOptions run;
  cli.options().add_options()("ip", po::value<std::vector<std::string>>(&ips)->value_name("IP"),
                              "an IPv4 or IPv6 address to check (repeatable)")(
      "domain", po::value<std::vector<std::string>>(&domains)->value_name("NAME"),
      "a domain to check on the domain lists (repeatable)")(
      "target", po::value<std::vector<std::string>>(&positional)->value_name("TARGET"),
      "an IP or domain (also accepted without the option name)")(
      "fail-on", po::value<std::string>(&fail_on)->value_name("listed|problem"),
      "exit 1 when a target is listed (listed), or listed/refused/error (problem)");
  cli.AddPositional("target", -1);
  AddDnsblRunOptions(cli, run);
  cli.AddCase(true);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddStats();
  cli.AddEpilog(
      "Examples:\n"
      "  mxir dnsbl check --ip 203.0.113.25 --domain acme.example\n"
      "  mxir dnsbl check --ip 203.0.113.25 --zone spamhaus-zen --zone bl.spamcop.net "
      "--format json\n"
      "  mxir dnsbl check --ip 203.0.113.25 --fail-on listed || echo 'listed somewhere'\n"
      "  mxir dnsbl check --ip 203.0.113.25 --case acme.case   # also record in the case\n\n"
      "Use a resolver of your own (--resolver 127.0.0.1): Spamhaus, URIBL and SURBL refuse or\n"
      "silently block queries that come through big public resolvers.\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (!fail_on.empty() && fail_on != "listed" && fail_on != "problem") {
    return cli.UsageError("--fail-on takes 'listed' or 'problem'");
  }
  std::vector<dnsbl::DnsblTarget> targets;
  for (const auto& s : ips) {
    auto t = dnsbl::DnsblTarget::Ip(s);
    if (!t.ok()) return cli.Fail(t.error());
    targets.push_back(*t);
  }
  for (const auto& s : domains) {
    auto t = dnsbl::DnsblTarget::Domain(s);
    if (!t.ok()) return cli.Fail(t.error());
    targets.push_back(*t);
  }
  for (const auto& s : positional) {
    auto t = dnsbl::DnsblTarget::Parse(s);
    if (!t.ok()) return cli.Fail(t.error());
    targets.push_back(*t);
  }
  if (targets.empty()) return cli.UsageError("nothing to check: give --ip IP or --domain NAME");
  // A private or loopback address is never on a public list: usually the office's inside
  // address was given instead of its public (NAT) one.
  for (const auto& t : targets) {
    if (!t.is_ip()) continue;
    const IpAddress ip = t.ip.Unmapped();
    const uint8_t* b = ip.bytes();
    bool private_v4 = ip.is_v4() && (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) ||
                                     (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) ||
                                     (b[0] == 100 && (b[1] & 0xC0) == 64));
    bool private_v6 =
        ip.is_v6() && ((b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80));
    if (ip.IsLoopback() || private_v4 || private_v6) {
      cli.Warn(t.text + " is a " + (ip.IsLoopback() ? "loopback" : "private") +
               " address: public blocklists never list it. Check the address the Internet sees "
               "(your NAT or mail server's public IP) instead.");
    }
  }
  auto zones = SelectZones(run);
  if (!zones.ok()) return cli.Fail(zones.error());
  std::optional<casedb::CaseDb> case_db;
  if (!cli.common.case_path.empty()) {
    auto c = casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "dnsbl");
    if (!c.ok()) return cli.Fail(c.error());
    case_db.emplace(std::move(*c));
  }
  auto resolver = MakeResolver(run);
  if (!resolver.ok()) return cli.Fail(resolver.error());
  dnsbl::CheckRun result =
      dnsbl::RunChecks(*zones, targets, **resolver, MakeCheckOptions(run), DefaultClock().Now());
  WarnUnhealthyZones(cli, result);
  if (case_db) {
    auto changes = dnsbl::RecordResults(*case_db, result.results, "dnsbl");
    if (!changes.ok()) return cli.Fail(changes.error().WithContext("recording in the case"));
  }
  RecordPrinter printer(std::cout, cli.common.format,
                        {{"target", "TARGET", 40},
                         {"zone", "ZONE", 32},
                         {"status", "STATUS", 10},
                         {"codes", "CODES", 32},
                         {"meaning", "MEANING", 60},
                         {"txt", "TXT", 60}});
  bool found = false;
  for (const auto& r : result.results) {
    printer.Add(dnsbl::CheckResultJson(r, false));
    if (r.status == dnsbl::CheckStatus::kListed) found = true;
    if (fail_on == "problem" && r.status != dnsbl::CheckStatus::kNotListed) found = true;
  }
  printer.Finish();
  if (cli.common.stats_json) {
    std::cerr << RunStatsJson(result, zones->size()) << "\n";
  } else {
    std::cerr << "mxir dnsbl check: " << RunSummary(result, zones->size()) << "\n";
  }
  return (!fail_on.empty() && found) ? kExitFound : kExitOk;
}

}  // namespace mxir::tools
