// mxir dnsbl delist request|note|status: the delisting workflow of a case, per (target, zone).
#include <iostream>

#include "casedb/dnsbl_store.h"
#include "commands.h"
#include "core/clock.h"
#include "core/record_printer.h"
#include "dnsbl/case_recorder.h"
#include "dnsbl_options.h"

namespace mxir::tools {

namespace {

// A --zone argument names a catalog id or a zone; the case stores zone names.
Result<std::string> ZoneName(const std::string& arg, const std::string& catalog_path) {
  auto cat = catalog_path.empty() ? dnsbl::DnsblCatalog::LoadDefault()
                                  : dnsbl::DnsblCatalog::LoadFile(catalog_path);
  if (cat.ok()) {
    if (const dnsbl::DnsblZone* z = cat->Find(arg)) return z->zone;
  }
  return dnsbl::NormaliseZoneName(arg);
}

Result<std::string> TargetText(const std::string& arg) {
  MXIR_ASSIGN_OR_RETURN(dnsbl::DnsblTarget t, dnsbl::DnsblTarget::Parse(arg));
  return t.text;
}

std::string Opt(const std::optional<Timestamp>& t) { return t ? t->ToString() : ""; }

nlohmann::ordered_json RowJson(const casedb::DelistingRow& r, Timestamp now) {
  nlohmann::ordered_json j;
  j["target"] = r.target;
  j["zone"] = r.zone;
  j["state"] = r.state;
  j["listed_since"] = Opt(r.listed_since);
  j["days_listed"] = nullptr;
  if (r.listed_since && dnsbl::IsListedState(r.state)) {
    j["days_listed"] = (now - *r.listed_since) / kMicrosPerDay;
  }
  j["last_listed"] = Opt(r.last_listed);
  j["delisted_at"] = Opt(r.delisted_at);
  j["fixed_at"] = Opt(r.fixed_at);
  j["fix_note"] = r.fix_note;
  j["requested_at"] = Opt(r.requested_at);
  j["request_how"] = r.request_how;
  j["request_ref"] = r.request_ref;
  j["relist_count"] = r.relist_count;
  return j;
}

int StatusCommand(int argc, char** argv) {
  Cli cli("dnsbl delist status", "where each delisting stands",
          "--case FILE [--format table|json|jsonl|csv]",
          "Lists every (target, zone) the case has seen listed, with its workflow state\n"
          "(listed, cause_fixed, requested, delisted, relisted), since when, the fix, the removal\n"
          "request and how often it was relisted.");
  cli.AddCase(false);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (auto s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "dnsbl");
  if (!c.ok()) return cli.Fail(c.error());
  casedb::DnsblStore store(*c);
  auto rows = store.ListDelistings();
  if (!rows.ok()) return cli.Fail(rows.error());
  RecordPrinter p(std::cout, cli.common.format,
                  {{"target", "TARGET", 40},
                   {"zone", "ZONE", 32},
                   {"state", "STATE", 12},
                   {"listed_since", "LISTED SINCE", 27},
                   {"days_listed", "DAYS", 5},
                   {"requested_at", "REQUESTED", 27},
                   {"request_ref", "REF", 24},
                   {"relist_count", "RELISTS", 7}});
  Timestamp now = DefaultClock().Now();
  for (const auto& r : *rows) p.Add(RowJson(r, now));
  p.Finish();
  return kExitOk;
}

int NoteOrRequest(int argc, char** argv, bool request) {
  std::string target, zone, text, how, ref, catalog;
  bool fixed = false, force = false;
  Cli cli(request ? "dnsbl delist request" : "dnsbl delist note",
          request ? "record that removal was requested from a list"
                  : "record a note, or that the cause of a listing is fixed",
          request ? "--case FILE --target T --zone Z --how HOW [--ref REF] [--force]"
                  : "--case FILE --target T --zone Z [--fixed] --text TEXT",
          request ? "Records the removal request (how it was made and its reference: a ticket, an "
                    "SBL id,\nthe Message-ID of the e-mail) and moves the pair to 'requested'. "
                    "The cause must be\nrecorded as fixed first (`mxir dnsbl delist note --fixed`) "
                    "unless --force: a\npremature request can waste a one-shot removal."
                  : "Writes a note to the pair's history; with --fixed it records that the cause "
                    "of the\nlisting is fixed (listed/relisted -> cause_fixed), with the text as "
                    "evidence.");
  cli.options().add_options()("target", po::value<std::string>(&target)->value_name("IP|DOMAIN"),
                              "the listed IP or domain")(
      "zone", po::value<std::string>(&zone)->value_name("ZONE"),
      "the list: a catalog id (spamhaus-zen) or zone (zen.spamhaus.org)")(
      "catalog", po::value<std::string>(&catalog)->value_name("FILE"), "the zone catalog");
  if (request) {
    cli.options().add_options()("how", po::value<std::string>(&how)->value_name("HOW"),
                                "how it was requested (web form, e-mail, ISP ticket)")(
        "ref", po::value<std::string>(&ref)->value_name("REF"),
        "the request's reference (ticket, SBL id, Message-ID)")(
        "force", po::bool_switch(&force), "request even though no fix is recorded");
  } else {
    cli.options().add_options()("text", po::value<std::string>(&text)->value_name("TEXT"),
                                "the note or the evidence of the fix")(
        "fixed", po::bool_switch(&fixed), "the cause of the listing is fixed");
  }
  cli.AddCase(false);
  cli.AddEpilog(request ? "Example:\n  mxir dnsbl delist request --case acme.case --target "
                          "203.0.113.25 --zone spamhaus-sbl \\\n    --how 'ISP ticket' --ref "
                          "SBL123456\n"
                        : "Example:\n  mxir dnsbl delist note --case acme.case --target "
                          "203.0.113.25 --zone bl.spamcop.net \\\n    --fixed --text \"bob's "
                          "password reset, queue purged\"\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (auto s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  if (target.empty() || zone.empty()) return cli.UsageError("--target and --zone are required");
  if (request && how.empty()) return cli.UsageError("--how is required (web form, e-mail, ...)");
  auto t = TargetText(target);
  if (!t.ok()) return cli.Fail(t.error());
  auto z = ZoneName(zone, catalog);
  if (!z.ok()) return cli.Fail(z.error());
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "dnsbl");
  if (!c.ok()) return cli.Fail(c.error());
  auto row = request ? dnsbl::RecordRequest(*c, *t, *z, how, ref, force, "dnsbl")
                     : dnsbl::RecordNote(*c, *t, *z, text, fixed, "dnsbl");
  if (!row.ok()) return cli.Fail(row.error());
  std::cout << row->target << " on " << row->zone << ": " << row->state << "\n";
  return kExitOk;
}

}  // namespace

int DnsblDelist(int argc, char** argv) {
  std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "status") return StatusCommand(argc - 1, argv + 1);
  if (sub == "note") return NoteOrRequest(argc - 1, argv + 1, false);
  if (sub == "request") return NoteOrRequest(argc - 1, argv + 1, true);
  std::ostream& out = (sub == "--help" || sub == "-h") ? std::cout : std::cerr;
  out << "Usage: mxir dnsbl delist request|note|status [OPTIONS]\n\n"
         "  status   where each delisting stands (listed, cause_fixed, requested, delisted, "
         "relisted)\n"
         "  note     a note, or --fixed: the cause of a listing is fixed\n"
         "  request  removal was requested (how, reference)\n\n"
         "Delisted and relisted are detected by `mxir dnsbl watch` on its own.\n";
  return (sub == "--help" || sub == "-h") ? kExitOk : kExitUsage;
}

}  // namespace mxir::tools
