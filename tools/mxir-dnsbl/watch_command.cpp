// mxir dnsbl watch: re-checks every IP and domain asset of a case, records the results and the
// delisting workflow's changes, and alerts on new listings, delistings and relistings.
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include <signal.h>

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "commands.h"
#include "core/clock.h"
#include "core/record_printer.h"
#include "dnsbl/case_recorder.h"
#include "dnsbl_options.h"
#include "on_change.h"

namespace mxir::tools {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

Result<std::vector<dnsbl::DnsblTarget>> CaseTargets(casedb::CaseDb& c, size_t* skipped) {
  casedb::AssetStore assets(c);
  MXIR_ASSIGN_OR_RETURN(auto list, assets.List());
  std::vector<dnsbl::DnsblTarget> out;
  for (const auto& a : list) {
    if (a.kind == casedb::AssetKind::kIp || a.kind == casedb::AssetKind::kDomain) {
      auto t = a.kind == casedb::AssetKind::kIp ? dnsbl::DnsblTarget::Ip(a.value)
                                                : dnsbl::DnsblTarget::Domain(a.value);
      if (t.ok())
        out.push_back(*t);
      else
        ++*skipped;
    } else if (a.kind == casedb::AssetKind::kNetwork) {
      // Small IPv4 networks (a /24 or smaller) are checked address by address.
      auto net = IpNetwork::Parse(a.value);
      if (!net.ok() || !net->base().is_v4() || net->prefix_len() < 24) {
        ++*skipped;
        continue;
      }
      uint32_t base = net->base().v4_host_order();
      uint32_t count = 1u << (32 - net->prefix_len());
      for (uint32_t i = 0; i < count; ++i) {
        out.push_back(*dnsbl::DnsblTarget::Ip(IpAddress::V4(base + i).ToString()));
      }
    }
  }
  return out;
}

}  // namespace

int DnsblWatch(int argc, char** argv) {
  Cli cli("dnsbl watch", "re-check the case's IPs and domains and track delisting",
          "--case FILE [--on-change CMD] [--every DURATION] [OPTIONS]",
          "Checks every IP, small IPv4 network (/24 or smaller) and domain asset of the case on\n"
          "the blocklists, records each result with its time, and moves each (target, list)\n"
          "through the delisting workflow: new listing -> (cause fixed -> removal requested) ->\n"
          "delisted when first seen clean -> relisted when listed again after that. Prints the\n"
          "changes; --on-change runs a command with them as JSON on its standard input.\n"
          "With --every it keeps running (a daemon) and stops cleanly on SIGTERM or SIGINT.\n\n" +
              std::string(kStatusHelp));
  DnsblRunOptions run;
  std::string on_change, every;
  int max_runs = 0, hook_timeout = 60;
  AddDnsblRunOptions(cli, run);
  cli.options().add_options()(
      "on-change", po::value<std::string>(&on_change)->value_name("CMD"),
      "run CMD (with /bin/sh) when something changed; stdin gets {\"case\":..., \"changes\": "
      "[{\"event\": \"new_listing|delisted|relisted\", \"target\", \"zone\", ...}]}")(
      "on-change-timeout", po::value<int>(&hook_timeout)->default_value(60)->value_name("SECONDS"),
      "kill the --on-change command after this long")(
      "every", po::value<std::string>(&every)->value_name("DURATION"),
      "repeat every DURATION (6h, 30m) until stopped; without it, check once and exit")(
      "max-runs", po::value<int>(&max_runs)->default_value(0)->value_name("N"),
      "with --every, stop after N runs (0: until stopped)");
  cli.AddCase(false);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddStats();
  cli.AddEpilog(
      "Examples:\n"
      "  mxir dnsbl watch --case acme.case --resolver 127.0.0.1\n"
      "  mxir dnsbl watch --case acme.case --every 6h --on-change 'mail -s dnsbl it@acme.example'\n"
      "Cron (every 6 hours):\n"
      "  0 */6 * * *  mxir dnsbl watch --case /srv/ir/acme.case --resolver 127.0.0.1 "
      "--format jsonl >> /var/log/mxir-dnsbl.jsonl\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (auto s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  int64_t interval_us = 0;
  if (!every.empty()) {
    auto d = ParseDuration(every);
    if (!d.ok()) return cli.Fail(d.error().WithContext("--every"));
    if (*d < kMicrosPerSecond) return cli.UsageError("--every must be at least 1s");
    interval_us = *d;
  }
  if (max_runs < 0 || hook_timeout < 1) return cli.UsageError("bad --max-runs or timeout");
  auto zones = SelectZones(run);
  if (!zones.ok()) return cli.Fail(zones.error());
  auto resolver = MakeResolver(run);
  if (!resolver.ok()) return cli.Fail(resolver.error());
  auto case_db = casedb::CaseDb::Open(cli.common.case_path, false, "dnsbl");
  if (!case_db.ok()) return cli.Fail(case_db.error());

  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  RecordPrinter printer(std::cout, cli.common.format,
                        {{"ts", "TIME", 27},
                         {"event", "EVENT", 12},
                         {"target", "TARGET", 40},
                         {"zone", "ZONE", 32},
                         {"to_state", "STATE", 12},
                         {"meaning", "MEANING", 60}});
  printer.set_empty_text("No changes: every list answers as at the last watch.");
  int runs = 0;
  int exit_status = kExitOk;
  while (!g_stop) {
    size_t skipped_assets = 0;
    auto targets = CaseTargets(*case_db, &skipped_assets);
    if (!targets.ok()) return cli.Fail(targets.error());
    if (targets->empty()) {
      return cli.Fail(MakeError(ErrorCode::kUsage,
                                "the case has no IP or domain assets to watch (add them with "
                                "`mxir case add-asset`)"));
    }
    Timestamp now = DefaultClock().Now();
    dnsbl::CheckRun result =
        dnsbl::RunChecks(*zones, *targets, **resolver, MakeCheckOptions(run), now);
    WarnUnhealthyZones(cli, result);
    auto changes = dnsbl::RecordResults(*case_db, result.results, "dnsbl");
    if (!changes.ok()) {
      Error e = changes.error().WithContext("recording in the case");
      // A daemon outlives a case that is busy for a while: say so and try again next time.
      if (interval_us == 0 || e.code != ErrorCode::kBusy) return cli.Fail(e);
      cli.Warn(e.message + "; this run's results are lost, trying again at the next run");
      exit_status = kExitInternal;
      changes = std::vector<dnsbl::ListingChange>();
    }
    nlohmann::ordered_json payload;
    payload["case"] = cli.common.case_path;
    payload["ts"] = now.ToString();
    payload["changes"] = nlohmann::ordered_json::array();
    for (const auto& c : *changes) {
      auto j = dnsbl::ListingChangeJson(c);
      printer.Add(j);
      payload["changes"].push_back(j);
    }
    std::cout.flush();
    if (cli.common.stats_json) {
      std::cerr << RunStatsJson(result, zones->size()) << "\n";
    } else {
      std::cerr << "mxir dnsbl watch: " << RunSummary(result, zones->size()) << "; "
                << changes->size() << " changes";
      if (skipped_assets) {
        std::cerr << "; " << skipped_assets
                  << " assets skipped (networks larger than a /24 and IPv6 networks are not "
                     "expanded: add their sending addresses as IP assets)";
      }
      std::cerr << "\n";
    }
    if (!on_change.empty() && !changes->empty()) {
      auto rc = RunChangeCommand(on_change, payload.dump() + "\n", hook_timeout);
      casedb::ActionLog log(*case_db);
      nlohmann::ordered_json details;
      details["changes"] = changes->size();
      if (rc.ok())
        details["exit_status"] = *rc;
      else
        details["error"] = rc.error().message;
      bool ok = rc.ok() && *rc == 0;
      if (auto s = log.Record("dnsbl", "dnsbl", "dnsbl.on_change", ok ? "ok" : "failed", details);
          !s.ok()) {
        return cli.Fail(s);
      }
      if (!ok) {
        cli.Warn(rc.ok() ? "--on-change command exited with status " + std::to_string(*rc)
                         : rc.error().message);
        exit_status = kExitInternal;
      }
    }
    ++runs;
    if (interval_us == 0 || (max_runs > 0 && runs >= max_runs)) break;
    auto wake = std::chrono::steady_clock::now() + std::chrono::microseconds(interval_us);
    while (!g_stop && std::chrono::steady_clock::now() < wake) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  printer.Finish();
  if (g_stop) std::cerr << "mxir dnsbl watch: stopped by signal after " << runs << " runs\n";
  return exit_status;
}

}  // namespace mxir::tools
