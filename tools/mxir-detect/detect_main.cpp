// mxir detect — turn Events (from a case, a file or a pipe) into Findings: who is attacking,
// which device has a stale password, which account is sending spam. Thin: options, one call
// into lib/detect, print, exit status.
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "casedb/event_store.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/ini_file.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/time_zone.h"
#include "detect/case_io.h"
#include "detect/detect_config.h"
#include "detect/detect_engine.h"
#include "detect/detect_settings.h"
#include "detect/event_input.h"
#include "detect/finding_output.h"
#include "detect/runaway_guard.h"

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

Result<Locality> BuildLocality(const DetectSettings& settings) {
  Locality loc;
  const auto& nets = !settings.internal.empty() ? settings.internal : Locality::DefaultInternal();
  for (const auto& n : nets) MXIR_RETURN_IF_ERROR(loc.AddInternal(n));
  for (const auto& d : settings.local_domains) MXIR_RETURN_IF_ERROR(loc.AddLocalDomain(d));
  return loc;
}

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// Tells the user what this run changed about the findings already stored.
void ReportStoreChanges(const StoreSummary& s) {
  if (!s.resolved.empty()) {
    std::cerr << "mxir detect: "
              << Plural(s.resolved.size(), "stored finding is", "stored findings are")
              << " no longer supported by the events and now resolved (kept; see mxir case "
                 "findings): "
              << JoinIds(s.resolved) << "\n";
  }
  if (!s.reactivated.empty()) {
    std::cerr << "mxir detect: active again (supported again): " << JoinIds(s.reactivated) << "\n";
  }
  for (const auto& ch : s.changed) {
    std::cerr << "mxir detect: finding " << ch.id << " changed from " << ch.from << " to " << ch.to
              << "\n";
  }
  if (!s.dismissed.empty()) {
    std::cerr << "mxir detect: found again but dismissed earlier (left dismissed): "
              << JoinIds(s.dismissed) << "\n";
  }
}

// What detect --follow keeps between passes: the evidence of every event read so far and the
// case's row id up to which it has read, so a pass reads only the events stored since.
struct FollowState {
  std::optional<DetectEngine> engine;
  int64_t cursor = 0;
  std::optional<DetectResult> last;  // the last pass's result: kept while nothing new arrives
  std::string locality;              // the case's assets the engine's locality was made from
  StoredFindings stored;  // what the last pass stored: unchanged findings are not rewritten
  double read_s = 0, analysis_s = 0, store_s = 0;  // where the last pass's time went
};

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// One detection pass: events from the file/stdin or the case; findings stored in the case.
// With `follow`, the events already read in earlier passes are not read again.
Result<DetectResult> RunOnce(const Cli& cli, const Options& o, const DetectConfig& cfg,
                             const Locality& base, const std::string& settings_text,
                             casedb::CaseDb* c, Counters* counters, FollowState* follow = nullptr) {
  const auto read_start = std::chrono::steady_clock::now();
  Locality loc = base;
  std::string assets;
  if (c) MXIR_RETURN_IF_ERROR(AddCaseLocality(*c, &loc, &assets));
  std::optional<DetectEngine> own;
  DetectEngine* engine_ptr = nullptr;
  // --follow: assets added to the case since the last pass (by a person, or the addresses
  // remote_blocklisting found) change what is inside: the findings are judged again even when
  // no new events arrived.
  bool new_locality = false;
  if (follow) {
    if (!follow->engine) {
      follow->engine.emplace(cfg, loc);
      follow->locality = assets;
    } else if (assets != follow->locality) {
      follow->engine->SetLocality(loc);
      follow->locality = assets;
      new_locality = true;
    }
    engine_ptr = &*follow->engine;
  } else {
    own.emplace(cfg, loc);
    engine_ptr = &*own;
  }
  DetectEngine& engine = *engine_ptr;
  if (!o.events.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (o.events != "-") {
      std::error_code ec;
      if (std::filesystem::is_directory(o.events, ec)) {
        return MakeError(ErrorCode::kInvalidInput,
                         "'" + o.events + "' is a directory: give the JSON Lines file of events");
      }
      file.open(o.events, std::ios::binary);
      if (!file) {
        return MakeError(ErrorCode::kNotFound,
                         "cannot open '" + o.events +
                             "': no such file or not readable; check the path (use - for stdin)");
      }
      in = &file;
    }
    std::vector<std::string> errors;
    JsonlInput input{o.events, cli.common.since, cli.common.until};
    MXIR_RETURN_IF_ERROR(ReadEventsJsonl(
        *in, input, [&](const Event& e) { engine.Add(e); }, &engine.counters(), &errors));
    for (const auto& e : errors) cli.Warn("skipped " + e);
  } else {
    auto total = casedb::CountEvents(*c);
    Progress progress(
        "reading the case's events",
        total.ok() && (!follow || follow->cursor == 0) ? static_cast<uint64_t>(*total) : 0,
        "events");
    FeedControl control;
    control.stop = &InterruptFlag();
    control.progress = &progress;
    if (follow) control.after_id = follow->cursor;
    MXIR_RETURN_IF_ERROR(FeedCaseEvents(*c, cli.common.since, cli.common.until, &engine, &control));
    if (follow) {
      // Nothing new since the last pass: its findings stand (and nothing is stored again).
      if (follow->last && control.last_id == follow->cursor && !new_locality) {
        *counters = engine.counters();
        follow->read_s = SecondsSince(read_start);
        follow->analysis_s = follow->store_s = 0;
        return *follow->last;
      }
      follow->cursor = control.last_id;
    }
    if (control.interrupted) {
      // Findings from part of the events would be wrong (and would resolve stored ones): keep
      // nothing, record the interruption.
      nlohmann::ordered_json details{{"events_read", control.fed}};
      if (Status st =
              casedb::ActionLog(*c).Record("detect", c->path(), "detect", "interrupted", details);
          !st.ok()) {
        return st.error();
      }
      return MakeError(ErrorCode::kInternal,
                       InterruptedMessage(control.fed, "events read",
                                          "no findings stored: they need all events"));
    }
  }
  const auto analysis_start = std::chrono::steady_clock::now();
  if (follow) follow->read_s = std::chrono::duration<double>(analysis_start - read_start).count();
  DetectResult result = follow ? engine.Pass() : engine.Finish();
  const auto store_start = std::chrono::steady_clock::now();
  if (follow) follow->analysis_s = SecondsSince(analysis_start);
  // A log read with the wrong --tz: say so, and which zone would make the sources agree (ingest
  // reads in this machine's zone unless told otherwise).
  for (const SourceOffset& off : result.offsets) {
    auto local = TimeZone::FromName("local");
    cli.Warn(SourceOffsetWarning(off, local.ok() ? local->OffsetAt(DefaultClock().Now()) : 0));
  }
  // The engine folds a runaway input's listed addresses already (DetectResult::listed_folded);
  // SummarizeRunaway only catches what it did not.
  size_t folded = result.listed_folded + SummarizeRunaway(&result, &engine.counters());
  if (folded > 0) {
    cli.Warn("the input claims " + std::to_string(folded + kMaxListedFindings) +
             " different blocklisted addresses of yours; " + std::to_string(folded) +
             " are summed up in one finding (is this your server's log? is --internal too "
             "wide?)");
  }
  if (c) {
    JudgeStored judge{o.events.empty(), cli.common.since, cli.common.until, settings_text};
    MXIR_ASSIGN_OR_RETURN(StoreSummary s,
                          StoreResult(*c, result, judge, follow ? &follow->stored : nullptr));
    ReportStoreChanges(s);
    if (!s.resolved.empty()) {
      engine.counters().Set("stored.resolved", static_cast<int64_t>(s.resolved.size()));
    }
    engine.counters().Set("stored.new", s.added);
    engine.counters().Set("stored.updated", s.updated);
    if (follow) engine.counters().Set("stored.unchanged", s.unchanged);
    engine.counters().Set("stored.assets_added", s.assets_added);
    if (s.assets_over_cap > 0) {
      engine.counters().Set("stored.assets_over_cap", s.assets_over_cap);
      cli.Warn(std::to_string(s.assets_over_cap) +
               " more listed addresses were not added to the "
               "case's assets (at most " +
               std::to_string(kMaxAutoAssets) + " per run)");
    }
  }
  *counters = engine.counters();
  if (follow) {
    follow->store_s = SecondsSince(store_start);
    follow->last = result;
  }
  return result;
}

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
    auto ini = IniFile::Load(o.config, /*require_private=*/false);
    if (!ini.ok()) return cli.Fail(ini.error());
    auto from_ini = SettingsFromIni(*ini);
    if (!from_ini.ok()) return cli.Fail(from_ini.error().WithContext(o.config));
    given = std::move(*from_ini);
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
  DetectSettings settings = given;
  if (c) {
    auto stored = LoadCaseSettings(*c);
    if (!stored.ok()) return cli.Fail(stored.error());
    settings = *stored;
    settings.Overlay(given);
    if (settings != *stored) {
      if (Status st = StoreCaseSettings(*c, settings); !st.ok()) return cli.Fail(st);
      std::cerr << "mxir detect: settings stored in the case for later runs: "
                << settings.CommandLine() << "\n";
    } else if (!settings.empty() && given != settings) {
      std::cerr << "mxir detect: using the settings stored in the case: " << settings.CommandLine()
                << " (give an option again to change it)\n";
    }
  }
  DetectConfig cfg;
  if (Status st = settings.ApplyTo(&cfg); !st.ok()) return cli.Fail(st);
  auto loc = BuildLocality(settings);
  if (!loc.ok()) return cli.Fail(loc.error());
  const std::string settings_text = settings.CommandLine();

  casedb::CaseDb* case_ptr = c ? &*c : nullptr;
  auto print_stats = [&](const Counters& counters) {
    if (cli.common.stats_json) {
      std::cerr << counters.ToJson() << "\n";
    } else {
      std::cerr << "mxir detect: " << counters.Summary() << "\n";
    }
  };
  auto worst = [](const std::vector<Finding>& fs) {
    std::optional<Severity> w;
    for (const auto& f : fs) {
      if (!w || f.severity > *w) w = f.severity;
    }
    return w;
  };

  if (!o.follow) {
    InstallInterruptHandler();
    Counters counters;
    auto result = RunOnce(cli, o, cfg, *loc, settings_text, case_ptr, &counters);
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
    auto w = worst(result->findings);
    return fail_on && w && *w >= *fail_on ? kExitFound : kExitOk;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::map<std::string, Severity> shown;
  std::optional<Severity> worst_shown;
  Counters counters;
  const auto start = std::chrono::steady_clock::now();
  FollowState state;
  int64_t events_before = 0;
  // The case's write-ahead log holds what other processes stored since (ingest defers its
  // checkpoints). Copying it into the case file is not this pass's work: this connection never
  // does it on committing its findings (SQLite's default would, at 1000 pages, with the pass
  // waiting for the disk), but after each pass, in the pause before the next one.
  if (Status st = case_ptr->db().Exec("PRAGMA wal_autocheckpoint = 0"); !st.ok()) {
    return cli.Fail(st);
  }
  for (int pass = 1; !g_stop; ++pass) {
    const auto pass_start = std::chrono::steady_clock::now();
    auto result = RunOnce(cli, o, cfg, *loc, settings_text, case_ptr, &counters, &state);
    if (!result.ok()) return cli.Fail(result.error());
    if (cli.common.stats_json) {
      // One line per pass: how many events were new and how long the pass took (read + analysis).
      nlohmann::ordered_json line{
          {"pass", pass},
          {"new_events", counters.Get("events") - events_before},
          {"seconds",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - pass_start).count()},
          {"findings", result->findings.size()},
          {"read_s", state.read_s},
          {"analysis_s", state.analysis_s},
          {"store_s", state.store_s}};
      std::cerr << line.dump() << "\n";
    }
    events_before = counters.Get("events");
    std::vector<Finding> fresh;
    for (const Finding& f : result->findings) {
      auto it = shown.find(f.id);
      if (it != shown.end() && it->second >= f.severity) continue;
      shown[f.id] = f.severity;
      fresh.push_back(f);
    }
    if (!fresh.empty()) {
      PrintFindings(std::cout, cli.common.format, o.explain, fresh, cli.common.case_path);
      std::cout.flush();
      auto w = worst(fresh);
      if (w && (!worst_shown || *w > *worst_shown)) worst_shown = w;
    }
    // PASSIVE: copies what no reader still needs, never waits for other processes.
    if (Status st = case_ptr->db().Exec("PRAGMA wal_checkpoint(PASSIVE)"); !st.ok()) {
      cli.Warn(
          "could not copy the case's write-ahead log into the case file (retried after the "
          "next pass): " +
          st.error().message);
    }
    // Sleep in small steps so a signal or --duration ends the loop promptly.
    for (double slept = 0; slept < o.interval_s && !g_stop; slept += 0.1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (o.duration_s > 0 && elapsed >= o.duration_s) g_stop = true;
    }
  }
  print_stats(counters);
  return fail_on && worst_shown && *worst_shown >= *fail_on ? kExitFound : kExitOk;
}
