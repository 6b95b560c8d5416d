// mxir collect — hosted-mail records (Microsoft 365 / Entra ID, Google Workspace) pulled from the
// providers' APIs into the same Events as `mxir ingest` makes from their exports.
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "collect/collector.h"
#include "collect/resume.h"
#include "core/cli.h"
#include "hooks/hook_factory.h"
#include "logs/ingester.h"
#include "sinks/event_sinks.h"

namespace {

constexpr char kDescription[] =
    "Pulls sign-in and mail records from a hosted-mail provider's API with the read-only\n"
    "credentials of the hooks file, page by page, and turns them into the same Events as\n"
    "`mxir ingest` makes from the provider's exports: store them in a case (--case) for\n"
    "`mxir detect`, or print them (--format jsonl).\n\n"
    "Providers and sources (--source, repeatable):\n"
    "  m365    signins (default): Entra ID sign-ins through Microsoft Graph (needs an Entra ID\n"
    "          P1/P2 licence and the AuditLog.Read.All permission);\n"
    "          trace: Exchange Online message trace through Graph "
    "(ExchangeMessageTrace.Read.All);\n"
    "          audit: the Unified Audit Log (sign-ins, inbox rules, forwarding) through the\n"
    "          Office 365 Management Activity API (ActivityFeed.Read; audit must be on)\n"
    "  google  login (default): Google Workspace login audit through the Admin SDK Reports API\n"
    "          (scope admin.reports.audit.readonly)\n\n"
    "Resumable: without --since, a run with --case continues from the newest record of that\n"
    "source already in the case (records read twice are stored once). Throttling (HTTP 429 with\n"
    "Retry-After) is waited out. Progress goes to standard error. Tested against a local server\n"
    "that implements the providers' documented API contract, not against the live services.";

constexpr char kEpilog[] =
    "\nExamples:\n"
    "  mxir collect m365 --hooks hooks.ini --since 2026-11-20 --case acme.case --create\n"
    "  mxir collect m365 --hooks hooks.ini --case acme.case          (continue where it ended)\n"
    "  mxir collect m365 --hooks hooks.ini --source signins --source trace --since 7d "
    "--format jsonl\n"
    "  mxir collect google --hooks hooks.ini --since 2026-11-01 --case acme.case\n\n"
    "The hooks file is the one of `mxir reset` ([m365] tenant, client_id, secret_file; [google]\n"
    "service_account_file, admin_subject); see docs/mxir-collect.md for the permissions to "
    "grant.\n";

}  // namespace

int mxir_collect_main(int argc, char** argv) {
  using mxir::Cli;
  Cli cli("collect", "hosted-mail records from the provider's API into events",
          "m365|google --hooks FILE [--since TIME] [--until TIME] [--source NAME...] "
          "[--case FILE [--create]] [--format jsonl|json|table|csv] [--endpoint URL]",
          kDescription);
  std::string provider, hooks_path, endpoint;
  std::vector<std::string> sources;
  int page_size = 1000;
  cli.options().add_options()("provider", mxir::po::value(&provider)->value_name("PROVIDER"),
                              "m365 or google")(
      "hooks", mxir::po::value(&hooks_path)->value_name("FILE"),
      "the hooks file with the provider's credentials (mode 0600)")(
      "source", mxir::po::value(&sources)->value_name("NAME"),
      "what to pull: m365 signins (default), trace, audit; google login (default)")(
      "endpoint", mxir::po::value(&endpoint)->value_name("URL"),
      "use this base URL for the provider's login and API (a test server)")(
      "page-size", mxir::po::value(&page_size)->value_name("N"),
      "records per page (1-5000; default 1000)");
  cli.AddPositional("provider", 1);
  mxir::sinks::GeoOptions geo_options;
  geo_options.AddTo(cli);
  cli.AddCase(/*allow_create=*/true);
  cli.AddFormat({"jsonl", "json", "table", "csv"}, "jsonl");
  cli.AddTimeRange();
  cli.AddStats();
  cli.AddEpilog(kEpilog);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (provider.empty()) return cli.UsageError("name the provider: m365 or google");
  if (provider != "m365" && provider != "google") {
    return cli.UsageError("unknown provider '" + provider + "': use m365 or google");
  }
  if (hooks_path.empty()) {
    return cli.UsageError("--hooks FILE is required (the provider's credentials)");
  }
  mxir::sinks::GeoStage geo;
  if (auto s = geo.Open(geo_options); !s.ok()) return cli.Fail(s);
  auto hooks = mxir::hooks::LoadHooksFile(hooks_path);
  if (!hooks.ok()) return cli.Fail(hooks.error());

  bool explicit_format = cli.Has("format");
  bool to_case = !cli.common.case_path.empty();
  bool print = explicit_format || !to_case;
  mxir::OutputFormat format = cli.common.format;
  if (!explicit_format) {
    format = isatty(STDOUT_FILENO) ? mxir::OutputFormat::kTable : mxir::OutputFormat::kJsonl;
  }
  std::optional<mxir::casedb::CaseDb> db;
  if (to_case) {
    auto opened = mxir::casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "collect");
    if (!opened.ok()) return cli.Fail(opened.error());
    db.emplace(std::move(*opened));
  }

  mxir::collect::CollectRequest rq;
  rq.provider = provider;
  rq.sources = sources;
  rq.endpoint = endpoint;
  rq.page_size = page_size;
  rq.until = cli.common.until;
  if (cli.common.since) {
    rq.since = *cli.common.since;
  } else {
    // Resume: the newest record of these sources in the case.
    std::optional<mxir::Timestamp> last;
    if (db) {
      auto srcs = sources.empty() ? mxir::collect::DefaultSources(provider) : sources;
      for (const auto& s : srcs) {
        auto t = mxir::collect::LastCollectedTime(*db, mxir::collect::FormatOfSource(s));
        if (!t.ok()) return cli.Fail(t.error());
        if (*t && (!last || **t < *last)) last = *t;
        if (!*t) {
          last.reset();
          break;
        }
      }
    }
    if (!last) {
      return cli.UsageError(
          "--since TIME is needed: the case holds no records of this source yet (e.g. --since "
          "2026-11-20; sign-ins are kept 7 days without an Entra ID P1/P2 licence, 30 with)");
    }
    rq.since = *last;
    std::cerr << "mxir collect: continuing from " << last->ToString()
              << " (the newest record in the case)\n";
  }

  mxir::sinks::OutputSinks sinks;
  mxir::logs::EventSink* out = geo.Wrap(sinks.Open(print, format, to_case ? &*db : nullptr));
  auto& jsonl = sinks.jsonl;
  auto& printer = sinks.printer;
  auto& store = sinks.store;
  mxir::collect::StableOriginSink stable(out);
  mxir::logs::IngestOptions options;
  options.since = rq.since;
  options.until = rq.until;
  auto ingester = mxir::logs::Ingester::Create(options, mxir::DefaultClock(), &stable);
  if (!ingester.ok()) return cli.Fail(ingester.error());

  mxir::collect::CollectStats stats;
  auto on_page = [&](mxir::collect::CollectedPage& page) -> mxir::Status {
    return (*ingester)->IngestDocument(page.body, page.origin, "", page.format);
  };
  // Progress (pages, records) on a terminal only; without one the run is silent but for warnings,
  // errors and the summary.
  std::function<void(const std::string&)> progress;
  if (::isatty(STDERR_FILENO) == 1) {
    progress = [](const std::string& line) { std::cerr << "mxir collect: " << line << "\n"; };
  }
  mxir::Status run =
      mxir::collect::Collect(*hooks, rq, mxir::DefaultClock(), nullptr, on_page, progress, &stats);
  if (jsonl) jsonl->Flush();
  if (printer) printer->Finish();
  mxir::Counters& counters = (*ingester)->counters();
  counters.Set("pages", stats.pages);
  counters.Set("retries", stats.retries);
  geo.AddCounters(counters);
  if (store) {
    // What was read is kept even when a later page failed: the next run continues from it.
    if (auto s = store->Commit(); !s.ok()) return cli.Fail(s);
    counters.Set("stored", store->inserted());
    counters.Set("already_in_case", store->duplicates());
    nlohmann::ordered_json details = nlohmann::ordered_json::parse(counters.ToJson());
    details["provider"] = provider;
    details["since"] = rq.since.ToString();
    mxir::casedb::ActionLog log(*db);
    (void)log.Record("collect", "events", "collect " + provider, run.ok() ? "ok" : "failed",
                     details);
  }
  if (cli.common.stats_json) {
    std::cerr << counters.ToJson() << "\n";
  } else {
    std::cerr << "mxir collect: " << counters.Summary() << "\n";
  }
  if (!run.ok()) return cli.Fail(run);
  return mxir::kExitOk;
}
