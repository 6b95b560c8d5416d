#include "case_commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "case_summary_text.h"
#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/case_db.h"
#include "casedb/case_export.h"
#include "casedb/case_summary.h"
#include "casedb/timeline.h"
#include "core/cli.h"
#include "core/display_time.h"
#include "core/file_util.h"
#include "core/record_printer.h"

namespace mxir::tools {

namespace {

using casedb::AssetKind;
using casedb::CaseDb;
using nlohmann::ordered_json;

constexpr const char* kTool = "case";

Result<CaseDb> OpenCase(const Cli& cli) {
  MXIR_RETURN_IF_ERROR(cli.RequireCase());
  return CaseDb::Open(cli.common.case_path, /*create_if_missing=*/false, kTool);
}

struct AssetOptions {
  std::vector<std::string> domains, ips, networks, accounts;
};

void AddAssetOptions(Cli& cli, AssetOptions& a) {
  cli.options().add_options()(
      "domain", po::value(&a.domains)->value_name("NAME")->composing(),
      "a domain of the company (its mail domain, its web site); repeatable")(
      "ip", po::value(&a.ips)->value_name("IP")->composing(),
      "an IP address of the company (its mail server, its office NAT address); repeatable")(
      "account", po::value(&a.accounts)->value_name("NAME")->composing(),
      "a mail account involved (e.g. bob@acme.example); repeatable");
}

}  // namespace

int CaseNew(int argc, char** argv) {
  Cli cli("case new", "create a new case file for an incident",
          "--case FILE --title TEXT [--domain D]... [--ip IP]... [--account A]...",
          "Creates FILE (mode 0600) and, beside it, FILE.key: the random key that makes password\n"
          "fingerprints (never share the .key file; the case file can be shared without it).");
  std::string title;
  AssetOptions assets;
  cli.AddCase(false);
  cli.options().add_options()("title", po::value(&title)->value_name("TEXT"),
                              "what the incident is, in a few words (required)");
  AddAssetOptions(cli, assets);
  cli.AddFormat({"table", "json"}, "table");
  cli.AddEpilog(
      "Example:\n  mxir case new --case acme.case --title \"Acme: spam from bob's account\" \\\n"
      "      --domain acme.example --ip 203.0.113.25 --account bob@acme.example\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (Status s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  if (title.empty()) return cli.UsageError("--title is required (what the incident is)");
  casedb::NewCase info{title, assets.domains, assets.ips, assets.accounts, kTool};
  auto c = CaseDb::Create(cli.common.case_path, info);
  if (!c.ok()) return cli.Fail(c.error());
  auto summary = casedb::CaseSummary(*c);
  if (!summary.ok()) return cli.Fail(summary.error());
  if (cli.common.format == OutputFormat::kJson) {
    std::cout << summary->dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << "Created case " << cli.common.case_path << " (key: " << c->key_path() << ")\n\n";
    PrintCaseSummary(*summary);
  }
  return 0;
}

int CaseShow(int argc, char** argv) {
  Cli cli("case show", "what a case holds", "--case FILE [--format table|json]",
          "Shows the case's title, assets, and how many events, findings and actions it holds.");
  cli.AddCase(false);
  cli.AddFormat({"table", "json"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  auto c = OpenCase(cli);
  if (!c.ok()) return cli.Fail(c.error());
  auto summary = casedb::CaseSummary(*c);
  if (!summary.ok()) return cli.Fail(summary.error());
  if (cli.common.format == OutputFormat::kJson) {
    std::cout << summary->dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  } else {
    PrintCaseSummary(*summary);
  }
  return 0;
}

int CaseAddAsset(int argc, char** argv) {
  Cli cli(
      "case add-asset", "add IPs, networks, domains or accounts to a case",
      "--case FILE [--ip IP]... [--network CIDR]... [--domain D]... [--account A]... [--note TEXT]",
      "Assets are what the case is about: the company's mail IPs and domains (watched on\n"
      "blocklists by mxir dnsbl watch) and the accounts involved. Adding one that is already\n"
      "there changes nothing.");
  AssetOptions assets;
  std::string note;
  cli.AddCase(false);
  AddAssetOptions(cli, assets);
  cli.options().add_options()("network",
                              po::value(&assets.networks)->value_name("CIDR")->composing(),
                              "a network of the company, e.g. 203.0.113.0/28; repeatable")(
      "note", po::value(&note)->value_name("TEXT"), "why it matters (kept with each asset)");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  std::vector<std::pair<AssetKind, std::string>> todo;
  for (const auto& v : assets.ips) todo.emplace_back(AssetKind::kIp, v);
  for (const auto& v : assets.networks) todo.emplace_back(AssetKind::kNetwork, v);
  for (const auto& v : assets.domains) todo.emplace_back(AssetKind::kDomain, v);
  for (const auto& v : assets.accounts) todo.emplace_back(AssetKind::kAccount, v);
  if (todo.empty())
    return cli.UsageError("name at least one --ip, --network, --domain or --account");
  for (const auto& [kind, value] : todo) {
    if (auto n = casedb::NormaliseAsset(kind, value); !n.ok()) return cli.Fail(n.error());
  }
  auto c = OpenCase(cli);
  if (!c.ok()) return cli.Fail(c.error());
  casedb::Transaction tx(c->db());
  if (Status s = tx.Begin(); !s.ok()) return cli.Fail(s);
  casedb::AssetStore store(*c);
  casedb::ActionLog log(*c);
  for (const auto& [kind, value] : todo) {
    auto added = store.Add(kind, value, note, "manual");
    if (!added.ok()) return cli.Fail(added.error());
    std::cout << (*added ? "added " : "already there: ") << casedb::AssetKindName(kind) << " "
              << *casedb::NormaliseAsset(kind, value) << "\n";
    if (*added) {
      Status s = log.Record(kTool, *casedb::NormaliseAsset(kind, value), "add asset", "ok",
                            {{"kind", casedb::AssetKindName(kind)}, {"note", note}});
      if (!s.ok()) return cli.Fail(s);
    }
  }
  if (Status s = tx.Commit(); !s.ok()) return cli.Fail(s);
  return 0;
}

int CaseNote(int argc, char** argv) {
  Cli cli(
      "case note", "write a note into the case's audit trail", "--case FILE TEXT...",
      "Records what a person did or learned outside mxir (\"called the provider; ticket 4711\")\n"
      "with the time and the user name, so the timeline tells the whole story.");
  std::vector<std::string> words;
  std::string target = "case";
  cli.AddCase(false);
  cli.options().add_options()("text", po::value(&words)->value_name("TEXT"), "the note")(
      "about", po::value(&target)->value_name("WHAT"),
      "what the note is about (an IP, an account, a list); default: the case");
  cli.AddPositional("text", -1);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  if (text.empty()) return cli.UsageError("give the note's text");
  auto c = OpenCase(cli);
  if (!c.ok()) return cli.Fail(c.error());
  casedb::ActionLog log(*c);
  if (Status s = log.Record(kTool, target, "note", "ok", {{"text", text}}); !s.ok()) {
    return cli.Fail(s);
  }
  std::cout << "noted\n";
  return 0;
}

int CaseTimeline(int argc, char** argv) {
  Cli cli(
      "case timeline", "events, findings and actions in time order",
      "--case FILE [--type TYPE]... [--since TIME] [--until TIME] "
      "[--format table|json|jsonl|csv]",
      "Merges everything the case knows into one time-ordered list: what was seen (events),\n"
      "what mxir concluded (findings), what was done (actions, playbook steps) and what people\n"
      "wrote (notes). --type keeps only some (e.g. --type action --type note for the story\n"
      "without the thousands of events). In a table, the same action repeated right after\n"
      "itself (each detect run storing its findings) is shown once with how many times.");
  std::vector<std::string> types;
  cli.AddCase(false);
  cli.options().add_options()("type", po::value(&types)->value_name("TYPE")->composing(),
                              "only entries of TYPE: event, finding, action, note, playbook "
                              "(repeatable)");
  cli.AddTimeRange();
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  for (const auto& t : types) {
    if (t != "event" && t != "finding" && t != "action" && t != "note" && t != "playbook") {
      return cli.UsageError("--type takes event, finding, action, note or playbook");
    }
  }
  auto c = OpenCase(cli);
  if (!c.ok()) return cli.Fail(c.error());
  RecordPrinter printer(std::cout, cli.common.format,
                        {{"ts", "TIME (UTC)", 27}, {"type", "TYPE"}, {"summary", "WHAT", 100}});
  printer.set_empty_text("Nothing in the timeline" +
                         std::string(types.empty() ? "" : " of that type") +
                         " yet: mxir ingest / capture --case add events, mxir detect findings.");
  bool structured =
      cli.common.format == OutputFormat::kJson || cli.common.format == OutputFormat::kJsonl;
  bool collapse = cli.common.format == OutputFormat::kTable;
  std::optional<ordered_json> pending;
  int64_t repeats = 0;
  auto flush = [&] {
    if (!pending) return;
    if (repeats > 1) {
      (*pending)["summary"] = (*pending)["summary"].get<std::string>() + " (x" +
                              std::to_string(repeats) + ", the last at " +
                              (*pending)["last"].get<std::string>() + ")";
    }
    pending->erase("last");
    printer.Add(*pending);
    pending.reset();
    repeats = 0;
  };
  Status s = casedb::ForEachTimelineEntry(
      *c, cli.common.since, cli.common.until, [&](const casedb::TimelineEntry& t) {
        if (!types.empty() && std::find(types.begin(), types.end(), t.type) == types.end() &&
            !(t.type == "note" && std::find(types.begin(), types.end(), "action") != types.end())) {
          return;
        }
        ordered_json j{
            {"ts", t.ts.ToString()}, {"type", t.type}, {"what", t.what}, {"summary", t.summary}};
        if (structured) j["record"] = t.record;
        if (!collapse) {
          printer.Add(j);
          return;
        }
        // The same action again (summary without the time): count it instead of a new row.
        if (pending && t.type == "action" && (*pending)["type"] == "action" &&
            (*pending)["summary"] == t.summary) {
          ++repeats;
          (*pending)["last"] = DisplayTimeText(t.ts.ToString());
          return;
        }
        flush();
        pending = j;
        (*pending)["last"] = DisplayTimeText(t.ts.ToString());
        repeats = 1;
      });
  flush();
  printer.Finish();
  if (!s.ok()) return cli.Fail(s);
  return 0;
}

int CaseExport(int argc, char** argv) {
  Cli cli("case export", "the whole case as one JSON document",
          "--case FILE [--format json] [--output PATH]",
          "Writes every table of the case (metadata, assets, events, findings, actions, and the\n"
          "tables later tools add) as JSON. The fingerprint key (FILE.key) is never exported.");
  std::string output;
  cli.AddCase(false);
  cli.AddFormat({"json"}, "json");
  cli.options().add_options()("output,o", po::value(&output)->value_name("PATH"),
                              "write to PATH (mode 0600) instead of standard output");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  auto c = OpenCase(cli);
  if (!c.ok()) return cli.Fail(c.error());
  if (output.empty()) {
    if (Status s = casedb::ExportCaseJson(*c, std::cout); !s.ok()) return cli.Fail(s);
    return 0;
  }
  std::ostringstream buf;
  if (Status s = casedb::ExportCaseJson(*c, buf); !s.ok()) return cli.Fail(s);
  if (Status s = ReplaceFileAtomically(output, buf.str(), 0600); !s.ok()) return cli.Fail(s);
  casedb::ActionLog log(*c);
  if (Status s = log.Record(kTool, output, "export case", "ok"); !s.ok()) return cli.Fail(s);
  return 0;
}

}  // namespace mxir::tools
