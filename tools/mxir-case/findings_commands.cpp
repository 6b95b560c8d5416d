// mxir case findings / dismiss: the stored findings with their life (active, resolved,
// dismissed), and a person's way to mark one a false positive. Thin over casedb::FindingStore.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "case_commands.h"
#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "casedb/finding_store.h"
#include "casedb/sqlite.h"
#include "core/cli.h"

namespace mxir::tools {

namespace {

using nlohmann::ordered_json;

int StatusRank(const std::string& s) {
  return s == casedb::kFindingActive ? 0 : s == casedb::kFindingResolved ? 1 : 2;
}

}  // namespace

int CaseFindings(int argc, char** argv) {
  Cli cli("case findings", "the findings stored in a case, with their status",
          "--case FILE [--status active|resolved|dismissed|all] [--format table|json|jsonl|csv]",
          "Lists what mxir detect concluded and stored, without running detection again: each\n"
          "finding's id, severity, kind, host, account, when it was seen, and its status:\n"
          "  active     the latest detect run over the case's events supports it\n"
          "  resolved   a later detect run no longer finds it (kept, with why)\n"
          "  dismissed  a person marked it a false positive (mxir case dismiss ID --why TEXT)\n"
          "Only active findings are acted on (mxir reset --from-findings). Worst first.");
  std::string status = "all";
  cli.AddCase(false);
  cli.options().add_options()("status", po::value(&status)->value_name("STATUS"),
                              "only findings with this status: active, resolved, dismissed or "
                              "all (default all)");
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddTimeRange();
  cli.AddEpilog(
      "Examples:\n  mxir case findings --case acme.case\n"
      "  mxir case dismiss --case acme.case 'brute_force:192.0.2.7' --why 'our scanner'\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (status != "all" && status != casedb::kFindingActive && status != casedb::kFindingResolved &&
      status != casedb::kFindingDismissed) {
    return cli.UsageError("--status takes active, resolved, dismissed or all");
  }
  if (Status s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "case");
  if (!c.ok()) return cli.Fail(c.error());
  auto list = casedb::FindingStore(*c).ListStored(cli.common.since, cli.common.until);
  if (!list.ok()) return cli.Fail(list.error());
  std::vector<casedb::StoredFinding> shown;
  for (auto& s : *list) {
    if (status == "all" || s.status == status) shown.push_back(std::move(s));
  }
  std::stable_sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) {
    if (StatusRank(a.status) != StatusRank(b.status))
      return StatusRank(a.status) < StatusRank(b.status);
    return a.finding.severity > b.finding.severity;
  });
  if (shown.empty() && cli.common.format == OutputFormat::kTable) {
    if (list->empty()) {
      std::cout << "No findings stored in " << cli.common.case_path
                << " yet: run mxir detect --case " << cli.common.case_path
                << " (after mxir ingest or mxir capture --case).\n";
    } else {
      std::cout << "No " << status << " findings (" << list->size()
                << " stored in all; --status all shows them).\n";
    }
    return kExitOk;
  }
  RecordPrinter printer(std::cout, cli.common.format,
                        {{"status", "STATUS"},
                         {"severity", "SEVERITY"},
                         {"kind", "KIND"},
                         {"client_ip", "HOST"},
                         {"user", "ACCOUNT"},
                         {"last_seen", "LAST SEEN (UTC)", 27},
                         {"id", "ID", 60},
                         {"status_why", "WHY", 80}});
  for (const auto& s : shown) {
    ordered_json j;
    j["id"] = s.finding.id;
    j["status"] = s.status;
    j["severity"] = SeverityName(s.finding.severity);
    j["kind"] = s.finding.kind;
    j["client_ip"] = s.finding.client_ip;
    j["user"] = s.finding.user;
    j["first_seen"] = s.finding.first_seen.ToString();
    j["last_seen"] = s.finding.last_seen.ToString();
    j["status_why"] = s.status_why;
    j["status_by"] = s.status_by;
    j["status_at"] = s.status_at ? ordered_json(s.status_at->ToString()) : ordered_json(nullptr);
    if (cli.common.format != OutputFormat::kTable && cli.common.format != OutputFormat::kCsv) {
      j["finding"] = FindingToJson(s.finding);
    }
    printer.Add(j);
  }
  printer.Finish();
  return kExitOk;
}

int CaseDismiss(int argc, char** argv) {
  Cli cli(
      "case dismiss", "mark a stored finding a false positive (or take that back)",
      "--case FILE ID --why TEXT [--undo]",
      "Marks the finding ID (see mxir case findings) as dismissed: a person looked and it is\n"
      "not an attack (\"our monitoring probe\", \"the partner's relay\"). It stays in the case\n"
      "and in the audit trail with your reason, later detect runs leave it dismissed, and\n"
      "mxir reset --from-findings does not act on it. --undo makes it active again.");
  std::string id, why;
  bool undo = false;
  cli.AddCase(false);
  cli.options().add_options()("id", po::value(&id)->value_name("ID"),
                              "the finding's id (mxir case findings)")(
      "why", po::value(&why)->value_name("TEXT"),
      "why it is not a problem (required; kept in the audit trail)")(
      "undo", po::bool_switch(&undo), "make a dismissed finding active again");
  cli.AddPositional("id", 1);
  cli.AddEpilog(
      "Example:\n  mxir case dismiss --case acme.case 'brute_force:192.0.2.7' "
      "--why 'our own vulnerability scanner'\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (id.empty()) return cli.UsageError("give the finding's ID (mxir case findings lists them)");
  if (why.empty()) {
    return cli.UsageError("give --why TEXT: the reason is kept in the audit trail for others");
  }
  if (Status s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "case");
  if (!c.ok()) return cli.Fail(c.error());
  casedb::FindingStore store(*c);
  casedb::Transaction tx(c->db());
  if (Status s = tx.Begin(); !s.ok()) return cli.Fail(s);
  auto before = store.Get(id);
  if (!before.ok()) return cli.Fail(before.error());
  if (!*before) {
    return cli.Fail(MakeError(ErrorCode::kNotFound, "no finding '" + id + "' in " +
                                                        cli.common.case_path +
                                                        ": mxir case findings lists the ids"));
  }
  const std::string to = undo ? casedb::kFindingActive : casedb::kFindingDismissed;
  if ((*before)->status == to) {
    std::cout << "finding " << id << " is already " << to << "\n";
    return kExitOk;
  }
  if (undo && (*before)->status != casedb::kFindingDismissed) {
    return cli.UsageError("finding " + id + " is " + (*before)->status +
                          ", not dismissed: nothing to undo");
  }
  auto set = store.SetStatus(id, to, why);
  if (!set.ok()) return cli.Fail(set.error());
  ordered_json details{{"from", (*before)->status},
                       {"to", to},
                       {"why", why},
                       {"kind", (*before)->finding.kind},
                       {"severity", SeverityName((*before)->finding.severity)}};
  if (Status s = casedb::ActionLog(*c).Record(
          "case", id, undo ? "reactivate finding" : "dismiss finding", "ok", details);
      !s.ok()) {
    return cli.Fail(s);
  }
  if (Status s = tx.Commit(); !s.ok()) return cli.Fail(s);
  std::cout << (undo ? "active again: " : "dismissed: ") << id << " ("
            << SeverityName((*before)->finding.severity) << " " << (*before)->finding.kind << ")\n";
  return kExitOk;
}

}  // namespace mxir::tools
