// mxir dnsbl history: the case's blocklist history per (target, zone): every recorded check and
// every workflow event (new listing, cause fixed, requested, delisted, relisted, note), in time
// order.
#include <algorithm>
#include <iostream>

#include "casedb/dnsbl_store.h"
#include "commands.h"
#include "core/cli.h"
#include "core/record_printer.h"
#include "dnsbl/catalog.h"
#include "dnsbl/target.h"

namespace mxir::tools {

int DnsblHistory(int argc, char** argv) {
  std::string target, zone, catalog_path;
  bool events_only = false;
  Cli cli("dnsbl history", "what the case recorded about blocklists, in time order",
          "--case FILE [--target T] [--zone Z] [--events] [--since TIME] [--until TIME]",
          "Prints every recorded check (from `watch` and `check --case`) and every delisting\n"
          "workflow event (new_listing, cause_fixed, requested, delisted, relisted, note) of the\n"
          "case, oldest first, optionally for one target and/or zone.");
  cli.options().add_options()("target", po::value<std::string>(&target)->value_name("IP|DOMAIN"),
                              "only this IP or domain")(
      "zone", po::value<std::string>(&zone)->value_name("ZONE"),
      "only this list (catalog id or zone)")("events", po::bool_switch(&events_only),
                                             "only workflow events, not every check")(
      "catalog", po::value<std::string>(&catalog_path)->value_name("FILE"), "the zone catalog");
  cli.AddCase(false);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddTimeRange();
  cli.AddEpilog(
      "Example:\n  mxir dnsbl history --case acme.case --target 203.0.113.25 --zone "
      "bl.spamcop.net --events\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (auto s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  if (!target.empty()) {
    auto t = dnsbl::DnsblTarget::Parse(target);
    if (!t.ok()) return cli.Fail(t.error());
    target = t->text;
  }
  if (!zone.empty()) {
    auto cat = catalog_path.empty() ? dnsbl::DnsblCatalog::LoadDefault()
                                    : dnsbl::DnsblCatalog::LoadFile(catalog_path);
    const dnsbl::DnsblZone* z = cat.ok() ? cat->Find(zone) : nullptr;
    if (z) {
      zone = z->zone;
    } else {
      auto n = dnsbl::NormaliseZoneName(zone);
      if (!n.ok()) return cli.Fail(n.error());
      zone = *n;
    }
  }
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "dnsbl");
  if (!c.ok()) return cli.Fail(c.error());
  casedb::DnsblStore store(*c);
  auto keep = [&](const std::string& t, const std::string& z) {
    return (target.empty() || t == target) && (zone.empty() || z == zone);
  };
  std::vector<std::pair<Timestamp, nlohmann::ordered_json>> rows;
  if (!events_only) {
    auto checks = store.ListChecks(cli.common.since, cli.common.until);
    if (!checks.ok()) return cli.Fail(checks.error());
    for (const auto& ck : *checks) {
      if (!keep(ck.target, ck.zone)) continue;
      nlohmann::ordered_json j;
      j["ts"] = ck.ts.ToString();
      j["target"] = ck.target;
      j["zone"] = ck.zone;
      j["kind"] = "check";
      j["what"] = ck.status;
      j["codes"] = ck.codes;
      j["detail"] = ck.meaning;
      rows.emplace_back(ck.ts, std::move(j));
    }
  }
  auto events = store.ListDelistingEvents(cli.common.since, cli.common.until);
  if (!events.ok()) return cli.Fail(events.error());
  for (const auto& e : *events) {
    if (!keep(e.target, e.zone)) continue;
    nlohmann::ordered_json j;
    j["ts"] = e.ts.ToString();
    j["target"] = e.target;
    j["zone"] = e.zone;
    j["kind"] = "event";
    j["what"] = e.event;
    j["codes"] = e.details.contains("codes") ? e.details["codes"] : nlohmann::ordered_json::array();
    std::string detail = e.from_state.empty() ? e.to_state : e.from_state + " -> " + e.to_state;
    for (const char* k : {"text", "how", "ref"}) {
      if (e.details.contains(k) && e.details[k].is_string() &&
          !e.details[k].get<std::string>().empty()) {
        detail += std::string("; ") + k + ": " + e.details[k].get<std::string>();
      }
    }
    j["detail"] = detail;
    rows.emplace_back(e.ts, std::move(j));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  RecordPrinter p(std::cout, cli.common.format,
                  {{"ts", "TIME", 27},
                   {"target", "TARGET", 40},
                   {"zone", "ZONE", 32},
                   {"kind", "KIND", 5},
                   {"what", "WHAT", 12},
                   {"codes", "CODES", 24},
                   {"detail", "DETAIL", 70}});
  for (const auto& [ts, j] : rows) p.Add(j);
  p.Finish();
  return kExitOk;
}

}  // namespace mxir::tools
