// mxir ingest — mail-server logs (Postfix, Dovecot, Exim, Sendmail, ...) into Events.
#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "casedb/source_store.h"
#include "core/cli.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "logs/follower.h"
#include "logs/hosted_common.h"
#include "logs/ingester.h"
#include "sinks/event_sinks.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

constexpr char kDescription[] =
    "Reads mail-server logs and turns every line that matters into the same Event records that\n"
    "`mxir capture` makes from traffic: logins and AUTH attempts (with the account and the\n"
    "outcome), rejects and protocol errors, sessions, messages and their deliveries. Print them\n"
    "(--format) or store them in a case (--case) for `mxir detect`. Reading the same file into\n"
    "a case again adds nothing twice.\n\n"
    "Formats (--log-format, default auto: recognised line by line): postfix, dovecot, exim,\n"
    "sendmail, opensmtpd, zimbra, nginx (mail proxy), and the mail and webmail login logs\n"
    "listed by --log-format help (lines wrapped by docker or journald, as in mailcow and Mailu,\n"
    "are unwrapped first); hosted mail:\n"
    "entra-signin (Entra ID sign-ins: Graph JSON / JSON Lines, portal CSV and JSON, Azure\n"
    "Monitor, Sentinel), m365-audit (Unified Audit Log: Export-Csv, AuditData JSON Lines,\n"
    "ConvertTo-Json), m365-trace (message trace CSV V1/V2, also UTF-16), google-login (Admin SDK\n"
    "Reports API), exchange-smtp, exchange-tracking, exchange-httpproxy (Exchange Server logs);\n"
    "JSON and CSV exports are recognised by their content and read whole. Files may be\n"
    "plain or gzip (.gz); '-' reads standard input. Syslog stamps carry no year: it is taken\n"
    "from the current time (MXIR_NOW when set; a date more than a day ahead belongs to the year\n"
    "before) unless --year gives it; stamps without a zone are read in --tz (default: local).";

constexpr char kEpilog[] =
    "\nExamples:\n"
    "  mxir ingest /var/log/mail.log /var/log/mail.log.1.gz --format table\n"
    "  mxir ingest --case acme.case --create /var/log/mail.log*\n"
    "  mxir ingest --case acme.case --follow /var/log/mail.log     (stop with Ctrl-C)\n"
    "  zcat old.log.gz | mxir ingest - --year 2025 --tz Europe/Berlin --format jsonl\n\n"
    "Output: jsonl on a pipe, a table on a terminal, nothing with --case unless --format is "
    "given.\n"
    "An unreadable or damaged input (a truncated .gz) is reported and gives exit status 2; its\n"
    "readable lines and the other files are still ingested. Lines not understood are counted,\n"
    "never fatal: see --stats json.\n";

}  // namespace

int mxir_ingest_main(int argc, char** argv) {
  using mxir::Cli;
  Cli cli("ingest", "mail-server logs into events",
          "[--log-format FORMAT] FILE... [--format jsonl|json|table|csv] [--case FILE [--create]]"
          " [--follow] [--year YYYY] [--tz ZONE]",
          kDescription);
  std::vector<std::string> files;
  std::string log_format = "auto", tz = "local", format_text;
  int year = 0;
  double follow_for = 0;
  size_t max_line = mxir::logs::IngestOptions().max_line;
  bool follow = false;
  cli.options().add_options()("file", mxir::po::value(&files)->value_name("FILE"),
                              "log files to read ('-' for stdin)")(
      "log-format", mxir::po::value(&log_format)->value_name("FORMAT"),
      "auto (default) or one format; 'help' lists them")(
      "year", mxir::po::value(&year)->value_name("YYYY"), "the year of year-less syslog stamps")(
      "tz", mxir::po::value(&tz)->value_name("ZONE"),
      "zone of stamps without one: local (default), UTC, Europe/Berlin, or a POSIX TZ string")(
      "follow", mxir::po::bool_switch(&follow),
      "keep reading as the logs grow, across rotation, until Ctrl-C / SIGTERM")(
      "follow-for", mxir::po::value(&follow_for)->value_name("SECONDS"),
      "with --follow: stop after SECONDS")(
      "max-line", mxir::po::value(&max_line)->value_name("BYTES"),
      "cut longer lines (counted as lines_cut; default 65536)");
  cli.AddPositional("file", -1);
  mxir::sinks::GeoOptions geo_options;
  geo_options.AddTo(cli);
  cli.AddCase(/*allow_create=*/true);
  cli.AddFormat({"jsonl", "json", "table", "csv"}, "jsonl");
  cli.AddTimeRange();
  cli.AddStats();
  cli.AddEpilog(kEpilog);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (log_format == "help") {
    for (const auto& n : mxir::logs::LogFormatNames()) std::cout << n << "\n";
    for (const auto& n : mxir::logs::DocumentFormatNames()) std::cout << n << "\n";
    return mxir::kExitOk;
  }
  if (files.empty()) return cli.UsageError("no log file given (use '-' for standard input)");
  if (cli.Has("follow-for") && !follow) return cli.UsageError("--follow-for needs --follow");
  mxir::sinks::GeoStage geo;
  if (auto s = geo.Open(geo_options); !s.ok()) return cli.Fail(s);

  // Printing: an explicit --format always; by default a table on a terminal, JSON Lines on a
  // pipe, and nothing (a summary only) when storing in a case.
  bool explicit_format = cli.Has("format");
  bool to_case = !cli.common.case_path.empty();
  bool print = explicit_format || !to_case;
  mxir::OutputFormat format = cli.common.format;
  if (!explicit_format) {
    format = isatty(STDOUT_FILENO) ? mxir::OutputFormat::kTable : mxir::OutputFormat::kJsonl;
  }

  std::optional<mxir::casedb::CaseDb> db;
  std::optional<mxir::SecretFingerprinter> fingerprinter;
  if (to_case) {
    auto opened = mxir::casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "ingest");
    if (!opened.ok()) return cli.Fail(opened.error());
    db.emplace(std::move(*opened));
    auto fp = db->Fingerprinter();
    if (!fp.ok()) return cli.Fail(fp.error());
    fingerprinter.emplace(std::move(*fp));
  } else {
    // Without a case, the per-user key (as mxir capture uses): Dovecot's logged password hashes
    // are keyed with it, so they still compare within the run and are never printed as logged.
    std::string key_warning;
    auto fp = mxir::SecretFingerprinter::ForThisUser(&key_warning);
    if (!key_warning.empty()) cli.Warn(key_warning);
    if (fp.ok()) {
      fingerprinter.emplace(std::move(*fp));
    } else {
      cli.Warn("no fingerprint key (" + fp.error().message +
               "): attempted-password hashes in the logs are dropped");
    }
  }

  mxir::sinks::OutputSinks sinks;
  mxir::logs::EventSink* out = geo.Wrap(sinks.Open(print, format, to_case ? &*db : nullptr));
  auto& jsonl = sinks.jsonl;
  auto& printer = sinks.printer;
  auto& store = sinks.store;

  mxir::logs::IngestOptions options;
  options.format = log_format;
  if (year != 0) options.year = year;
  options.tz = tz;
  options.since = cli.common.since;
  options.until = cli.common.until;
  options.max_line = max_line;
  options.fingerprinter = fingerprinter ? &*fingerprinter : nullptr;
  // Ctrl-C stops cleanly: what was read is kept (committed to the case) and said so.
  options.stop = &mxir::InstallInterruptHandler();
  // Progress on a terminal only: bytes of the file, rate, time left.
  std::optional<mxir::Progress> progress;
  std::string progress_path;
  options.on_progress = [&](const std::string& path, int64_t bytes) {
    if (progress_path != path) {
      progress.reset();
      progress_path = path;
      struct stat st {};
      uint64_t size = path != "-" && ::stat(path.c_str(), &st) == 0 &&
                              !(path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0)
                          ? static_cast<uint64_t>(st.st_size)
                          : 0;
      progress.emplace("reading " + (path == "-" ? std::string("stdin") : path), size, "B");
    }
    progress->Update(static_cast<uint64_t>(bytes));
  };
  auto ingester = mxir::logs::Ingester::Create(options, mxir::DefaultClock(), out);
  if (!ingester.ok()) return cli.Fail(ingester.error());

  // One `sources` record per input read, with the events it added.
  std::vector<std::pair<mxir::logs::InputSummary, int64_t>> sources;
  int status = mxir::kExitOk;
  if (follow) {
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    mxir::logs::FollowOptions fo;
    fo.max_seconds = follow_for;
    fo.max_line = max_line;
    mxir::Status commit_error;
    auto on_idle = [&] {
      if (jsonl) jsonl->Flush();
      if (store) {
        // A failed commit (a full disk) stops following at once, with the error: the batches
        // committed before stay, nothing is silently dropped while the follower runs on.
        if (auto s = store->Commit(); !s.ok() && commit_error.ok()) {
          commit_error = s;
          g_stop = true;
        }
      }
    };
    auto s = mxir::logs::FollowLogs(files, **ingester, fo, g_stop, on_idle);
    if (!s.ok()) return cli.Fail(s);
    if (!commit_error.ok()) return cli.Fail(commit_error);
  } else {
    for (const auto& f : files) {
      int64_t before = store ? store->inserted() : 0;
      auto s = (*ingester)->IngestFile(f);
      // A bad file is reported and the others are still read; the exit status says so.
      if (!s.ok()) status = std::max(status, cli.Fail(s));
      if (store) {
        if (auto c = store->Commit(); !c.ok()) return cli.Fail(c);
        for (auto& in : (*ingester)->TakeInputs()) {
          sources.push_back({std::move(in), store->inserted() - before});
          before = store->inserted();
        }
      }
      if ((*ingester)->interrupted()) break;
    }
    if (progress) progress->Finish(0);
    progress.reset();
  }
  const bool interrupted = !follow && (*ingester)->interrupted();
  if (jsonl) jsonl->Flush();
  if (printer) printer->Finish();
  mxir::Counters& counters = (*ingester)->counters();
  geo.AddCounters(counters);
  if (store) {
    if (auto s = store->Commit(); !s.ok()) return cli.Fail(s);
    counters.Set("stored", store->inserted());
    counters.Set("already_in_case", store->duplicates());
    if (follow) {
      auto followed = (*ingester)->TakeInputs();
      for (auto& in : followed) {
        sources.push_back({std::move(in), followed.size() == 1 ? store->inserted() : 0});
      }
    }
    mxir::casedb::SourceStore source_store(*db);
    mxir::Timestamp now = mxir::DefaultClock().Now();
    for (auto& [in, stored] : sources) {
      mxir::casedb::SourceRecord r;
      r.path = in.path;
      r.size = in.size;
      r.sha256 = in.sha256;
      r.first_seen = in.first;
      r.last_seen = in.last;
      r.records = in.records;
      r.events = in.events;
      r.stored = stored;
      r.tool = follow ? "ingest --follow" : "ingest";
      r.read_at = now;
      if (auto s = source_store.Add(r); !s.ok()) return cli.Fail(s);
    }
    nlohmann::ordered_json details = nlohmann::ordered_json::parse(counters.ToJson());
    details["files"] = files;
    if (interrupted) details["interrupted"] = true;
    mxir::casedb::ActionLog log(*db);
    if (auto s = log.Record("ingest", "events", "ingest logs", interrupted ? "interrupted" : "ok",
                            details);
        !s.ok()) {
      return cli.Fail(s);
    }
  }
  if (cli.common.stats_json) {
    std::cerr << counters.ToJson() << "\n";
  } else {
    std::cerr << "mxir ingest: " << counters.Summary() << "\n";
  }
  if (interrupted) {
    std::cerr << "mxir ingest: "
              << mxir::InterruptedMessage(store ? store->inserted() : counters.Get("events"),
                                          "events", store ? "committed to the case" : "printed")
              << "\n";
    return mxir::kExitInterrupted;
  }
  return status;
}
