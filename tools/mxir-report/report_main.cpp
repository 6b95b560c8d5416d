// mxir report — the weekly blocklist/delisting status report of a case.
#include <iostream>

#include "casedb/case_db.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/display_time.h"
#include "core/file_util.h"
#include "core/version.h"
#include "report/weekly_report.h"

namespace {

int Weekly(int argc, char** argv) {
  using namespace mxir;
  std::string format = "md", output, tz_name, catalog_path;
  Cli cli("report weekly", "the weekly blocklist and delisting status report",
          "--case FILE [--format md|html|csv] [--output PATH] [--tz ZONE]",
          "Summarises the 7 days ending now (MXIR_NOW when set): on how many lists the case's\n"
          "IPs and domains are listed now and a week ago; per list the status, since when and\n"
          "for how many days, the removal request and its age, the next action (from the\n"
          "catalog: self-service removal, wait for expiry, ...), this week's changes (new\n"
          "listings, delistings and relistings, which stand out) and a day-by-day timeline.\n"
          "md is Markdown (the timeline as a text table), html one self-contained file with an\n"
          "inline SVG chart (no network needed to view it), csv one row per (target, list).\n"
          "The data comes from `mxir dnsbl watch` / `check --case` and `mxir dnsbl delist`.");
  cli.options().add_options()(
      "format", po::value<std::string>(&format)->default_value("md")->value_name("md|html|csv"),
      "output format")("output,o", po::value<std::string>(&output)->value_name("PATH"),
                       "write the report to PATH (mode 0600, replaced atomically); default stdout")(
      "tz", po::value<std::string>(&tz_name)->value_name("ZONE"),
      "show times in ZONE, e.g. Asia/Tokyo (default: $MXIR_TZ, else the system's zone)")(
      "catalog", po::value<std::string>(&catalog_path)->value_name("FILE"),
      "the DNSBL catalog for next actions (default: the shipped one)");
  cli.AddCase(false);
  cli.AddEpilog(
      "Examples:\n"
      "  mxir report weekly --case acme.case                     # Markdown on stdout\n"
      "  mxir report weekly --case acme.case --format html -o week.html --tz Europe/Berlin\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (auto s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  if (format != "md" && format != "html" && format != "csv") {
    return cli.UsageError("--format takes md, html or csv");
  }
  auto tz = tz_name.empty() ? Result<TimeZone>(DisplayZone()) : TimeZone::FromName(tz_name);
  if (!tz.ok()) return cli.Fail(tz.error().WithContext("--tz"));
  auto catalog = catalog_path.empty() ? dnsbl::DnsblCatalog::LoadDefault()
                                      : dnsbl::DnsblCatalog::LoadFile(catalog_path);
  if (!catalog.ok() && !catalog_path.empty()) return cli.Fail(catalog.error());
  if (!catalog.ok()) cli.Warn(catalog.error().message + " (next actions will be generic)");
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "report");
  if (!c.ok()) return cli.Fail(c.error());
  auto report =
      report::BuildWeeklyReport(*c, catalog.ok() ? &*catalog : nullptr, DefaultClock().Now(), *tz);
  if (!report.ok()) return cli.Fail(report.error());
  std::string text = format == "md"     ? report::RenderMarkdown(*report, *tz)
                     : format == "html" ? report::RenderHtml(*report, *tz)
                                        : report::RenderCsv(*report, *tz);
  if (output.empty() || output == "-") {
    std::cout << text;
  } else if (auto s = ReplaceFileAtomically(output, text, 0600); !s.ok()) {
    return cli.Fail(s);
  }
  return kExitOk;
}

void Usage(std::ostream& out) {
  out << "mxir report — reports from the case.\n\n"
         "Usage: mxir report weekly --case FILE [--format md|html|csv] [--output PATH] [--tz "
         "ZONE]\n\n"
         "  weekly   the weekly blocklist/delisting status report for the 7 days ending now\n\n"
         "Run 'mxir report weekly --help' for the options.\n";
}

}  // namespace

int mxir_report_main(int argc, char** argv) {
  return mxir::DispatchSubcommand("report", argc, argv, {{"weekly", Weekly}}, Usage);
}
