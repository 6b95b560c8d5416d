// mxir relay preflight: is the clean path ready before the company MTA is pointed at it?
#include <iostream>

#include "casedb/action_log.h"
#include "commands.h"
#include "core/record_printer.h"
#include "dnsbl/catalog.h"
#include "dnsbl/resolver.h"
#include "hooks/command_runner.h"
#include "relay/audit.h"
#include "relay/preflight.h"

namespace mxir::tools {

int RelayPreflightCommand(int argc, char** argv) {
  std::string config_path, resolver_spec, company_postfix;
  std::vector<std::string> zone_args;
  bool no_dnsbl = false;
  Cli cli("relay preflight", "checks before the cut-over to the relay",
          "--config RELAY.ini [--resolver HOST[:PORT]] [--zone ZONE]... "
          "[--company-postfix DIR] [--case FILE] [--format table|json]",
          "Checks, from DNS as the world sees it, that mail sent through the relay will be\n"
          "accepted: the clean IP's PTR names the relay's hostname and that name points back at\n"
          "the IP (so HELO, PTR and A agree); SPF of every company domain, evaluated with the\n"
          "RFC 7208 limits, authorises the IP; the DKIM key is published and a test signature\n"
          "made with the configured key verifies with it; DMARC exists and aligns; the IP is on\n"
          "no blocklist (a refused or failed answer is 'unknown', never 'listed'); and, with\n"
          "--company-postfix, the company's own queue holds no backlog from accounts under\n"
          "investigation or bounce flood that would go out through the new IP. Every check that\n"
          "does not pass says how to fix it. Exit 1 when a check fails.");
  cli.options().add_options()("config",
                              po::value<std::string>(&config_path)->value_name("RELAY.ini"),
                              "the relay's settings")(
      "resolver", po::value<std::string>(&resolver_spec)->value_name("HOST[:PORT]"),
      "ask this DNS server (default: /etc/resolv.conf)")(
      "zone", po::value<std::vector<std::string>>(&zone_args)->value_name("ZONE"),
      "blocklists to ask (catalog ids or ZONE=ip); default: the catalog's active lists")(
      "no-dnsbl", po::bool_switch(&no_dnsbl), "skip the blocklist checks")(
      "company-postfix", po::value<std::string>(&company_postfix)->value_name("DIR"),
      "the company Postfix's config directory: check its queue for a backlog (postqueue -j)");
  cli.AddCase(false);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  auto cfg = relay::LoadRelayConfig(config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  dnsbl::ResolverOptions ro;
  if (!resolver_spec.empty()) {
    auto s = dnsbl::ParseServerSpec(resolver_spec);
    if (!s.ok()) return cli.Fail(s.error());
    ro.server = *s;
  }
  auto resolver = dnsbl::MakeCaresResolver(ro);
  if (!resolver.ok()) return cli.Fail(resolver.error());
  relay::PreflightOptions opts;
  if (!no_dnsbl) {
    auto cat = dnsbl::DnsblCatalog::LoadDefault();
    if (!cat.ok()) return cli.Fail(cat.error());
    if (zone_args.empty()) {
      opts.zones = cat->DefaultZones();
    } else {
      for (const auto& z : zone_args) {
        auto zone = cat->ResolveZoneArgument(z);
        if (!zone.ok()) return cli.Fail(zone.error());
        opts.zones.push_back(*zone);
      }
    }
  }
  opts.investigated.insert(cfg->investigate.begin(), cfg->investigate.end());
  if (!cli.common.case_path.empty()) {
    auto inv = relay::InvestigatedFromCase(cli.common.case_path);
    if (!inv.ok()) return cli.Fail(inv.error());
    opts.investigated.insert(inv->begin(), inv->end());
  }
  std::vector<relay::QueuedMessage> queue;
  if (!company_postfix.empty()) {
    hooks::SystemCommandRunner runner;
    relay::RelayInstance company(*cfg, company_postfix, runner);
    auto q = company.Queue();
    if (!q.ok()) return cli.Fail(q.error());
    queue = std::move(*q);
    opts.company_queue = &queue;
  }
  auto checks = relay::RunPreflight(*cfg, **resolver, opts);
  RecordPrinter p(std::cout, cli.common.format,
                  {{"check", "CHECK", 8},
                   {"target", "TARGET", 24},
                   {"status", "STATUS", 8},
                   {"detail", "DETAIL", 60},
                   {"fix", "FIX", 60}});
  int failed = 0, unknown = 0;
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& c : checks) {
    auto j = relay::PreflightJson(c);
    p.Add(j);
    all.push_back(j);
    failed += c.status == "fail";
    unknown += c.status == "unknown";
  }
  p.Finish();
  std::cerr << "mxir relay preflight: " << checks.size() << " checks, " << failed << " failed, "
            << unknown << " unknown" << (failed ? ": fix them before the cut-over" : "") << "\n";
  RecordRelayAction(cli, cfg->listen_ip, "relay preflight", failed ? "failed" : "passed",
                    {{"checks", all}});
  return failed ? kExitFound : kExitOk;
}

}  // namespace mxir::tools
