#include "playbook_commands.h"

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "casedb/case_db.h"
#include "casedb/playbook_store.h"
#include "core/cli.h"
#include "core/file_util.h"
#include "playbook/cacao.h"
#include "playbook/render.h"
#include "playbook/runbook.h"
#include "playbook/runbook_library.h"
#include "playbook/runner.h"
#include "playbook/step_outline.h"

namespace mxir::tools {

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using playbook::Runbook;
using playbook::Step;
using playbook::StepType;

void AddPlaybooksOption(Cli& cli, std::string* dir) {
  cli.options().add_options()("playbooks", po::value(dir)->value_name("DIR"),
                              "the runbook folder (default: the playbooks/ mxir came with, or "
                              "MXIR_PLAYBOOKS)");
}

class Terminal final : public playbook::Interaction {
 public:
  explicit Terminal(bool interactive) : interactive_(interactive) {}
  void Show(const std::string& text) override { std::cout << text << "\n" << std::flush; }
  std::optional<std::string> Ask(const std::string& prompt) override {
    if (!interactive_) return std::nullopt;
    std::cout << prompt << " " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }

 private:
  bool interactive_;
};

struct RunFlags {
  std::vector<std::string> answers, approvals, inputs;
  bool non_interactive = false;
};

void AddRunFlags(Cli& cli, RunFlags& f) {
  cli.options().add_options()("answer",
                              po::value(&f.answers)->value_name("STEP=VALUE")->composing(),
                              "answer a question (ask/check step) without being asked; repeatable")(
      "approve", po::value(&f.approvals)->value_name("STEP")->composing(),
      "approve a gate without typing its confirmation (recorded as yours); repeatable")(
      "non-interactive", po::bool_switch(&f.non_interactive),
      "never prompt: stop with exit 3 at a question or gate that has no --answer/--approve");
}

Result<std::map<std::string, std::string>> Pairs(const std::vector<std::string>& items,
                                                 const char* option) {
  std::map<std::string, std::string> out;
  for (const auto& it : items) {
    auto eq = it.find('=');
    if (eq == std::string::npos || eq == 0)
      return MakeError(ErrorCode::kUsage,
                       std::string("--") + option + " '" + it + "': write it as NAME=VALUE");
    out[it.substr(0, eq)] = it.substr(eq + 1);
  }
  return out;
}

Result<playbook::RunOptions> MakeRunOptions(const RunFlags& f) {
  playbook::RunOptions o;
  o.mxir_path = ExecutableDir() + "/mxir";
  MXIR_ASSIGN_OR_RETURN(o.answers, Pairs(f.answers, "answer"));
  o.approvals.insert(f.approvals.begin(), f.approvals.end());
  return o;
}

int Finish(const Cli& cli, const Result<playbook::RunReport>& rep) {
  if (!rep.ok()) {
    Error e = rep.error();
    if (e.code == ErrorCode::kBusy) e.code = ErrorCode::kUsage;
    return cli.Fail(e);
  }
  return rep->exit_code;
}

}  // namespace

int PlaybookList(int argc, char** argv) {
  Cli cli("playbook list", "the runbooks there are", "[--playbooks DIR] [--format table|json]",
          "Lists the runbooks: id (what you pass to run), title, and the findings that name it.");
  std::string dir;
  AddPlaybooksOption(cli, &dir);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  dir = playbook::RunbookFolder(dir);
  auto files = playbook::RunbookFiles(dir);
  if (!files.ok()) return cli.Fail(files.error());
  RecordPrinter p(std::cout, cli.common.format,
                  {{"id", "ID", 22}, {"title", "TITLE", 70}, {"triggers", "FOR FINDINGS", 60}});
  int rc = 0;
  for (const auto& f : *files) {
    auto rb = playbook::LoadRunbookFile(f, nullptr);
    if (!rb.ok()) {
      cli.Warn(rb.error().message);
      rc = 2;
      continue;
    }
    std::string trig;
    for (const auto& t : rb->triggers) trig += (trig.empty() ? "" : ", ") + t;
    ordered_json j{{"id", rb->id}, {"title", rb->title}, {"version", rb->version}};
    if (cli.common.format == OutputFormat::kTable || cli.common.format == OutputFormat::kCsv)
      j["triggers"] = trig;
    else
      j["triggers"] = rb->triggers;
    p.Add(j);
  }
  p.Finish();
  return rc;
}

int PlaybookShow(int argc, char** argv) {
  Cli cli("playbook show", "one runbook's steps", "ID [--playbooks DIR] [--format table|json]",
          "Prints what the runbook will do, step by step, before you run it.");
  std::string dir, id;
  AddPlaybooksOption(cli, &dir);
  cli.options().add_options()("id", po::value(&id), "the runbook");
  cli.AddPositional("id", 1);
  cli.AddFormat({"table", "json"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (id.empty()) return cli.UsageError("which runbook? (mxir playbook list shows them)");
  auto rb = playbook::LoadRunbookById(playbook::RunbookFolder(dir), id);
  if (!rb.ok()) return cli.Fail(rb.error());
  if (cli.common.format == OutputFormat::kJson) {
    std::cout << ordered_json{{"id", rb->id},         {"version", rb->version},
                              {"title", rb->title},   {"summary", rb->summary},
                              {"sha256", rb->sha256}, {"text", rb->text}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << rb->title << "  (" << rb->id << " v" << rb->version << ", " << rb->updated << ")\n\n"
            << rb->summary << "\n";
  if (!rb->inputs.empty()) {
    std::cout << "Inputs:\n";
    for (const auto& in : rb->inputs)
      std::cout << "  " << in.name << ": " << in.describe
                << (in.from.empty() ? "" : " (from " + in.from + ")")
                << (in.required ? " — required" : "") << "\n";
  }
  std::cout << "Steps:\n";
  playbook::WriteStepOutline(std::cout, rb->steps);
  std::cout << "\nStart it with: mxir playbook run " << rb->id << " --case FILE\n";
  return 0;
}

int PlaybookLint(int argc, char** argv) {
  Cli cli("playbook lint", "check runbook files", "[FILE...] [--playbooks DIR]",
          "Checks every runbook (all of --playbooks DIR when no FILE is given) against the\n"
          "mxir-runbook/1 format and prints each problem as FILE:LINE: message.\n"
          "Exit 0 when all are valid, 2 when any is not.");
  std::string dir;
  std::vector<std::string> files;
  AddPlaybooksOption(cli, &dir);
  cli.options().add_options()("file", po::value(&files), "runbook files");
  cli.AddPositional("file", -1);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (files.empty()) {
    auto all = playbook::RunbookFiles(playbook::RunbookFolder(dir));
    if (!all.ok()) return cli.Fail(all.error());
    files = *all;
  }
  int bad = 0;
  for (const auto& f : files) {
    playbook::LintResult lint;
    auto rb = playbook::LoadRunbookFile(f, &lint);
    for (const auto& w : lint.warnings) std::cout << w << "\n";
    if (!rb.ok() && lint.errors.empty()) lint.errors.push_back(f + ": " + rb.error().message);
    for (const auto& e : lint.errors) std::cout << e << "\n";
    if (!rb.ok()) {
      ++bad;
    } else {
      std::cout << f << ": ok (" << rb->id << " v" << rb->version << ")\n";
    }
  }
  if (bad) {
    std::cerr << "mxir playbook lint: " << bad << " of " << files.size() << " runbook(s) invalid\n";
    return 2;
  }
  return 0;
}

int PlaybookRun(int argc, char** argv) {
  Cli cli("playbook run", "start a runbook for a case",
          "ID --case FILE [--dry-run] [--input NAME=VALUE ...] [--answer STEP=VALUE ...]\n"
          "       [--approve STEP ...] [--finding ID] [--non-interactive]",
          "Walks the runbook step by step and records each step in the case. Questions are\n"
          "asked on the terminal (or answered ahead with --answer); before anything is changed\n"
          "you type a confirmation (or pass --approve STEP after reading what it unlocks, e.g.\n"
          "with --dry-run first). Inputs (the account, the address) come from the newest\n"
          "finding that names this runbook and from the case's assets; --input overrides.\n"
          "--dry-run shows every command with the values filled in and runs none of them.\n\n"
          "Exit status: 0 completed, 1 a step failed or an expectation did not hold, 2 invalid\n"
          "runbook or input, 3 waiting for an answer or approval, 4 waiting until a later time.");
  std::string dir, id, finding;
  bool dry = false;
  RunFlags f;
  AddPlaybooksOption(cli, &dir);
  cli.AddCase(false);
  cli.options().add_options()("id", po::value(&id), "the runbook")(
      "dry-run", po::bool_switch(&dry), "render every command, run nothing")(
      "input", po::value(&f.inputs)->value_name("NAME=VALUE")->composing(),
      "set a runbook input (see mxir playbook show ID); repeatable")(
      "finding", po::value(&finding)->value_name("ID"),
      "take inputs from this finding (default: the newest one that names the runbook)");
  AddRunFlags(cli, f);
  cli.AddPositional("id", 1);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (id.empty()) return cli.UsageError("which runbook? (mxir playbook list shows them)");
  if (Status s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  auto rb = playbook::LoadRunbookById(playbook::RunbookFolder(dir), id);
  if (!rb.ok()) return cli.Fail(rb.error());
  auto o = MakeRunOptions(f);
  if (!o.ok()) return cli.Fail(o.error());
  auto inputs = Pairs(f.inputs, "input");
  if (!inputs.ok()) return cli.Fail(inputs.error());
  o->inputs = *inputs;
  o->dry_run = dry;
  o->finding_id = finding;
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "playbook");
  if (!c.ok()) return cli.Fail(c.error());
  Terminal term(!f.non_interactive && ::isatty(0));
  playbook::SystemProcessRunner proc;
  return Finish(cli, playbook::StartRun(*c, *rb, *o, term, proc));
}

int PlaybookResume(int argc, char** argv) {
  Cli cli("playbook resume", "continue the case's run",
          "--case FILE [--run RUNID] [--answer STEP=VALUE ...] [--approve STEP ...]\n"
          "       [--accept-changed-runbook] [--non-interactive]",
          "Continues the latest run that has not ended (or --run RUNID) at the step it was in.\n"
          "A step that was changing something when the run was killed is checked again (its\n"
          "verify command, or you are asked), never silently counted as done or run twice.\n"
          "If the runbook file changed since the run started, resume refuses until you accept\n"
          "the change with --accept-changed-runbook (recorded in the run).");
  std::string dir, run_id;
  bool accept = false;
  RunFlags f;
  AddPlaybooksOption(cli, &dir);
  cli.AddCase(false);
  cli.options().add_options()("run", po::value(&run_id)->value_name("RUNID"),
                              "the run (mxir playbook status lists them)")(
      "accept-changed-runbook", po::bool_switch(&accept),
      "continue with the changed runbook file (recorded)");
  AddRunFlags(cli, f);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (Status s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  auto o = MakeRunOptions(f);
  if (!o.ok()) return cli.Fail(o.error());
  o->accept_changed = accept;
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "playbook");
  if (!c.ok()) return cli.Fail(c.error());
  auto rbid = playbook::RunbookIdOfRun(*c, run_id);
  if (!rbid.ok()) return cli.Fail(rbid.error());
  std::string path = playbook::RunbookFolder(dir) + "/" + *rbid + ".yaml";
  if (FileExists(path)) {
    auto text = ReadFile(path);
    if (!text.ok()) return cli.Fail(text.error());
    o->current_text = *text;
  } else {
    cli.Warn("runbook file " + path + " not found; continuing with the text stored in the run");
  }
  Terminal term(!f.non_interactive && ::isatty(0));
  playbook::SystemProcessRunner proc;
  return Finish(cli, playbook::ResumeRun(*c, run_id, *o, term, proc));
}

int PlaybookStatus(int argc, char** argv) {
  Cli cli("playbook status", "the case's runs and their steps",
          "--case FILE [--run RUNID] [--format table|json|jsonl|csv]",
          "Each run with its steps: id, state (done, skipped, failed, waiting, running, unknown),\n"
          "times, answers and outputs. json/jsonl print one object per run with its steps.");
  std::string run_id;
  cli.AddCase(false);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.options().add_options()("run", po::value(&run_id)->value_name("RUNID"), "only this run");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (Status s = cli.RequireCase(); !s.ok()) return cli.Fail(s);
  auto c = casedb::CaseDb::Open(cli.common.case_path, false, "playbook");
  if (!c.ok()) return cli.Fail(c.error());
  casedb::PlaybookStore store(*c);
  auto runs = store.ListRuns();
  if (!runs.ok()) return cli.Fail(runs.error());
  bool structured =
      cli.common.format == OutputFormat::kJson || cli.common.format == OutputFormat::kJsonl;
  if (structured) {
    RecordPrinter p(std::cout, cli.common.format, {});
    for (const auto& r : *runs) {
      if (!run_id.empty() && r.run_id != run_id) continue;
      auto steps = store.ListSteps(r.run_id);
      if (!steps.ok()) return cli.Fail(steps.error());
      ordered_json j = casedb::PlaybookRunToJson(r, false);
      j["steps"] = ordered_json::array();
      for (const auto& s : *steps) j["steps"].push_back(casedb::PlaybookStepToJson(s));
      p.Add(j);
    }
    p.Finish();
    return 0;
  }
  RecordPrinter p(std::cout, cli.common.format,
                  {{"run", "RUN", 30},
                   {"step", "STEP", 36},
                   {"type", "TYPE", 7},
                   {"state", "STATE", 10},
                   {"at", "AT (UTC)", 27},
                   {"summary", "WHAT", 90}});
  for (const auto& r : *runs) {
    if (!run_id.empty() && r.run_id != run_id) continue;
    p.Add({{"run", r.run_id},
           {"step", r.runbook_id + (r.dry_run ? " (dry run)" : "")},
           {"type", "run"},
           {"state", r.status},
           {"at", r.started_at.ToString()},
           {"summary", r.outcome.empty() ? "at " + r.current_step : "outcome " + r.outcome}});
    auto steps = store.ListSteps(r.run_id);
    if (!steps.ok()) return cli.Fail(steps.error());
    for (const auto& s : *steps) {
      auto at = s.ended_at ? s.ended_at : s.started_at;
      p.Add({{"run", r.run_id},
             {"step", s.key},
             {"type", s.type},
             {"state", s.state},
             {"at", at ? at->ToString() : ""},
             {"summary", s.summary.empty() ? s.reason : s.summary}});
    }
  }
  p.Finish();
  return 0;
}

int PlaybookExport(int argc, char** argv) {
  Cli cli("playbook export", "a runbook as CACAO 2.0 JSON",
          "ID --format cacao [--playbooks DIR] [--output PATH]",
          "Writes the runbook as an OASIS CACAO 2.0 playbook, for tools that read CACAO. The\n"
          "export is checked for what the CACAO JSON schemas do not catch (dangling step\n"
          "references, on_completion together with on_success, undeclared variables).");
  std::string dir, id, format, output;
  AddPlaybooksOption(cli, &dir);
  cli.options().add_options()("id", po::value(&id), "the runbook")(
      "format", po::value(&format)->default_value("cacao")->value_name("cacao"), "cacao")(
      "output,o", po::value(&output)->value_name("PATH"), "write to PATH instead of stdout");
  cli.AddPositional("id", 1);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (format != "cacao") return cli.UsageError("--format takes 'cacao'");
  if (id.empty()) return cli.UsageError("which runbook? (mxir playbook list shows them)");
  auto rb = playbook::LoadRunbookById(playbook::RunbookFolder(dir), id);
  if (!rb.ok()) return cli.Fail(rb.error());
  ordered_json pb = playbook::ExportCacao(*rb);
  auto problems = playbook::CheckCacao(pb);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << "mxir playbook export: " << p << "\n";
    return cli.Fail(MakeError(ErrorCode::kInternal, "the export failed its own checks"));
  }
  std::string text = pb.dump(2) + "\n";
  if (output.empty()) {
    std::cout << text;
    return 0;
  }
  if (Status s = ReplaceFileAtomically(output, text, 0644); !s.ok()) return cli.Fail(s);
  return 0;
}

}  // namespace mxir::tools
