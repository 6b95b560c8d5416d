// mxir detect — turn Events (from a case, a file or a pipe) into Findings: who is attacking,
// which device has a stale password, which account is sending spam. Thin: options, one call
// into lib/detect, print, exit status.
#include <atomic>
#include <csignal>
#include <iostream>
#include <map>

#include "casedb/case_db.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/freed_memory.h"
#include "core/interrupt.h"
#include "detect/detect_config.h"
#include "detect/detect_follow.h"
#include "detect/detect_pass.h"
#include "detect/detect_settings.h"
#include "detect/detect_setup.h"
#include "detect/finding_output.h"

namespace {

using namespace mxir;
using namespace mxir::detect;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

struct Options {
  std::string events, config, fail_on;
  std::vector<std::string> internal, local_domains, submission_ports;
  bool follow = false, explain = false;
  double interval_s = 5, duration_s = 0;
};

constexpr const char* kDescription =
    "Reads Events (spec/events.md) from a case (--case) or from JSON Lines (--events FILE, or - "
    "for\n"
    "a pipe from `mxir capture` or `mxir ingest`) and reports Findings, worst first: stale saved\n"
    "passwords on devices, brute force, password spraying, credential stuffing, compromised\n"
    "accounts, bulk (spam) sending, open relaying, inbound floods, remote blocklisting and\n"
    "throttling, and bursts of encrypted sessions. Each finding names the host and the account,\n"
    "explains in plain words what was seen, and lists next steps and a playbook (--explain).\n"
    "With --case, findings are stored in the case (a re-run updates them, never duplicates) and\n"
    "blocklisted addresses are added to the case's assets for `mxir dnsbl watch`.\n\n"
    "Events from several sources are merged: one login seen in the capture, the Postfix log and\n"
    "the Dovecot log counts once (same client, account and outcome within --merge-window).\n"
    "Whether a host is inside (--internal) changes the wording, severity and next steps, never\n"
    "the kind of finding. Every threshold below has a default; change it with its option or in\n"
    "a config file (--config FILE: a [detect] section with `name = value` lines, names as the\n"
    "options with - or _, plus `internal = CIDR, ...` and `local_domains = a.example, ...`).\n\n"
    "How logins are judged (docs/mxir-detect.md has the details):\n"
    "  stale_credentials  one host, one account, the same wrong password again and again (a\n"
    "                     device with an old saved password; not an attack).\n"
    "  brute_force        one account, many passwords: fast (many in --brute-window), slow (any\n"
    "                     rate, counted over the whole input) or distributed (many hosts that\n"
    "                     never logged in as the account, a try or two each; counts.distributed,\n"
    "                     top hosts and networks). A person's typo (a wrong password, then the\n"
    "                     right one from the same host) is never part of an attack.\n"
    "  account_compromise a success from a host that was guessing; or, after an attack, from a\n"
    "                     host new to the account with signs of abuse (bulk mail, a From that is\n"
    "                     not the account, many new hosts, several in a row); or an account used\n"
    "                     by many new hosts with a foreign From. A login from the account's own\n"
    "                     earlier device (its address, network or device name) is never one.\n"
    "  login_after_attack a success from a host new to an attacked account without such signs\n"
    "                     (medium): ask the user. `mxir reset --from-findings` resets\n"
    "                     account_compromise accounts only.\n"
    "  session_burst      many encrypted SMTP sessions from one host on any port (25 too;\n"
    "                     mxir capture recognises SMTP by content on any port),\n"
    "                     far more than the server's other hosts; their size is only a hint.\n"
    "Each explanation says which rule fired and why the others did not.";

constexpr const char* kExamples =
    "Examples:\n"
    "  mxir capture --read office.pcap --format jsonl | mxir detect --events -\n"
    "  mxir detect --case acme.case --explain\n"
    "  mxir detect --events events.jsonl --local-domain acme.example --format json\n"
    "  mxir detect --case acme.case --follow --fail-on high\n"
    "  mxir detect --case acme.case --brute-min-failures 20 --internal 203.0.113.0/24\n";

}  // namespace

int mxir_detect_main(int argc, char** argv) {
  Options o;
  Cli cli("detect", "find attackers, stale devices and compromised senders in mail events",
          "(--case FILE | --events FILE.jsonl|-) [OPTIONS]", kDescription);
  cli.AddCase(/*allow_create=*/true);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddTimeRange();
  cli.AddStats();
  cli.options().add_options()(
      "events", po::value(&o.events)->value_name("FILE"),
      "read Events as JSON Lines from FILE (- for stdin) instead of the case's stored events")(
      "follow", po::bool_switch(&o.follow),
      "keep watching the case: re-run every --interval and print findings that are new or "
      "more severe (stop with Ctrl-C)")(
      "interval", po::value(&o.interval_s)->default_value(5)->value_name("SECONDS"),
      "--follow: seconds between runs")(
      "duration", po::value(&o.duration_s)->default_value(0)->value_name("SECONDS"),
      "--follow: stop after this many seconds (0: until interrupted)")(
      "explain", po::bool_switch(&o.explain),
      "table: add each finding's explanation, next steps and playbook")(
      "fail-on", po::value(&o.fail_on)->value_name("SEVERITY"),
      "exit 1 when a finding is this severe or worse (info|low|medium|high|critical)")(
      "internal", po::value(&o.internal)->value_name("CIDR")->composing(),
      "networks inside yours (repeatable; default 10/8 172.16/12 192.168/16 127/8 ::1 fc00::/7 "
      "169.254/16 fe80::/10; the case's IP assets are always inside)")(
      "local-domain", po::value(&o.local_domains)->value_name("DOMAIN")->composing(),
      "a mail domain of yours (repeatable; the case's domain assets are added); needed for "
      "open_relay and inbound_flood")(
      "submission-port", po::value(&o.submission_ports)->value_name("PORT")->composing(),
      "a port where clients log in to send (repeatable; default 587 and 465); accepted for "
      "old scripts and config files: session_burst now looks at encrypted SMTP on every port")(
      "config", po::value(&o.config)->value_name("FILE"),
      "thresholds from an INI file ([detect] section); options override it");
  po::options_description thresholds("Thresholds (defaults in brackets)", 100, 50);
  const DetectConfig defaults;
  std::map<std::string, std::string> threshold_text;
  for (const auto& spec : Thresholds()) {
    std::string help = std::string(spec.help) + " [" + ThresholdValueText(defaults, spec) + "]";
    thresholds.add_options()(spec.name,
                             po::value(&threshold_text[spec.name])
                                 ->value_name(spec.type == ThresholdType::kSeconds ? "DURATION"
                                              : spec.type == ThresholdType::kRatio ? "X"
                                                                                   : "N"),
                             help.c_str());
  }
  cli.options().add(thresholds);
  cli.AddEpilog(kExamples);
  if (auto exit = cli.Parse(argc, argv)) return *exit;
  if (Status st = CheckNowOverride(); !st.ok()) return cli.Fail(st);

  if (o.events.empty() && cli.common.case_path.empty()) {
    return cli.UsageError("give --case FILE (stored events) or --events FILE.jsonl (- for stdin)");
  }
  if (o.follow && (!o.events.empty() || cli.common.case_path.empty())) {
    return cli.UsageError("--follow watches a case: give --case FILE and no --events");
  }
  if (o.follow && o.interval_s <= 0) return cli.UsageError("--interval must be more than 0");
  std::optional<Severity> fail_on;
  if (!o.fail_on.empty()) {
    fail_on = ParseSeverity(o.fail_on);
    if (!fail_on) return cli.UsageError("--fail-on takes info, low, medium, high or critical");
  }
  // The settings given now (config file, then options) ...
  DetectSettings given;
  if (!o.config.empty()) {
    auto from_file = SettingsFromConfigFile(o.config);
    if (!from_file.ok()) return cli.Fail(from_file.error());
    given = std::move(*from_file);
  }
  if (!o.internal.empty()) given.internal = o.internal;
  for (const auto& d : o.local_domains) given.local_domains.push_back(d);
  if (!o.submission_ports.empty()) given.submission_ports = o.submission_ports;
  for (const auto& spec : Thresholds()) {
    if (cli.Has(spec.name)) given.thresholds[spec.name] = threshold_text[spec.name];
  }
  {
    DetectConfig check;  // refuse bad values before anything is stored
    if (Status st = given.ApplyTo(&check); !st.ok()) return cli.Fail(st);
  }

  std::optional<casedb::CaseDb> c;
  if (!cli.common.case_path.empty()) {
    auto opened = casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "detect");
    if (!opened.ok()) return cli.Fail(opened.error());
    c.emplace(std::move(*opened));
  }
  // ... over the ones stored in the case, so later runs judge the same way.
  std::string note;
  auto setup = SetUpRun(c ? &*c : nullptr, given, &note);
  if (!note.empty()) std::cerr << "mxir detect: " << note << "\n";
  if (!setup.ok()) return cli.Fail(setup.error());
  const PassInput input{o.events, cli.common.since, cli.common.until, setup->settings_text};
  const PassMessages messages{
      [&](const std::string& m) { cli.Warn(m); },
      [](const std::string& m) { std::cerr << "mxir detect: " << m << "\n"; }};

  casedb::CaseDb* case_ptr = c ? &*c : nullptr;
  auto print_stats = [&](const Counters& counters) {
    if (cli.common.stats_json) {
      std::cerr << counters.ToJson() << "\n";
    } else {
      std::cerr << "mxir detect: " << counters.Summary() << "\n";
    }
  };

  if (!o.follow) {
    InstallInterruptHandler();
    Counters counters;
    auto result = RunDetectPass(input, setup->cfg, setup->locality, case_ptr, &counters, messages);
    if (!result.ok() && Interrupted()) {
      std::cerr << "mxir detect: " << result.error().message << "\n";
      return kExitInterrupted;
    }
    if (!result.ok()) return cli.Fail(result.error());
    PrintFindings(std::cout, cli.common.format, o.explain, result->findings, cli.common.case_path);
    std::cout.flush();
    print_stats(counters);
    if (counters.Get("events") == 0) {
      cli.Warn(case_ptr && o.events.empty()
                   ? "the case has no events yet: add them with mxir ingest --case " +
                         cli.common.case_path + " LOGS or mxir capture --read PCAP --case " +
                         cli.common.case_path
                   : "no events were read: give JSON Lines from mxir capture or mxir ingest "
                     "(--format jsonl)");
    }
    auto w = WorstSeverity(result->findings);
    return fail_on && w && *w >= *fail_on ? kExitFound : kExitOk;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // Each pass frees and makes again the analysis' large arrays: keep their pages for the next.
  (void)KeepFreedMemory();
  Counters counters;
  auto worst_shown = FollowCase(
      input, setup->cfg, setup->locality, *case_ptr, FollowOptions{o.interval_s, o.duration_s},
      &g_stop, &counters, messages, [&](const FollowPass& p) {
        if (cli.common.stats_json) {
          // One line per pass: how many events were new and how long the pass took.
          std::cerr << FollowPassStats(p).dump() << "\n";
        }
        if (!p.fresh.empty()) {
          PrintFindings(std::cout, cli.common.format, o.explain, p.fresh, cli.common.case_path);
          std::cout.flush();
        }
      });
  if (!worst_shown.ok()) return cli.Fail(worst_shown.error());
  print_stats(counters);
  return fail_on && *worst_shown && **worst_shown >= *fail_on ? kExitFound : kExitOk;
}
