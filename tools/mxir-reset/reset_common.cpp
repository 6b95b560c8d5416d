#include "reset_common.h"

#include <iostream>

#include <unistd.h>

#include "core/clock.h"
#include "core/record_printer.h"

namespace mxir::tools {

using hooks::AccountOutcome;

Result<bool> Confirm(const std::string& question) {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) {
    return MakeError(ErrorCode::kUsage,
                     "no terminal to confirm on: add --yes to act without asking (or --dry-run to "
                     "see the plan)");
  }
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

void PrintSteps(const AccountOutcome& o) {
  for (const auto& s : o.steps) {
    std::cerr << "  " << (s.ok ? "ok    " : "FAILED") << " " << s.step << ": " << s.detail << "\n";
  }
  if (!o.verification.empty()) std::cerr << "  verify: " << o.verification << "\n";
  for (const auto& l : o.leftovers) {
    std::cerr << "  review " << l.kind << ": " << l.description << "\n";
  }
}

void PrintOutcomes(const std::vector<AccountOutcome>& outcomes, OutputFormat format) {
  RecordPrinter printer(std::cout, format,
                        {{"account", "ACCOUNT"},
                         {"provider", "PROVIDER"},
                         {"action", "ACTION"},
                         {"outcome", "OUTCOME"},
                         {"verified", "VERIFIED"},
                         {"leftovers", "TO REVIEW"},
                         {"error", "ERROR", 80}});
  for (const auto& o : outcomes) {
    nlohmann::ordered_json r = {{"account", o.account},
                                {"provider", o.provider},
                                {"action", o.action},
                                {"outcome", o.outcome}};
    r["verified"] = o.verification.empty() ? "-" : (o.verified ? "yes" : "no");
    r["leftovers"] = o.leftovers.size();
    r["error"] = o.error;
    if (format != OutputFormat::kTable && format != OutputFormat::kCsv) {
      r["details"] = hooks::OutcomeDetails(o);
    }
    printer.Add(r);
  }
  printer.Finish();
}

int ExitFor(const Cli& cli, const std::vector<AccountOutcome>& outcomes) {
  for (const auto& o : outcomes) {
    if (o.outcome == "unverified") {
      // Applied, but not shown to work: not an error of mxir, and not "done" either.
      cli.Warn(o.account + ": " + o.error);
      return kExitFound;
    }
    if (!o.error.empty()) {
      return cli.Fail(
          MakeError(o.exit_status == 2 ? ErrorCode::kInvalidInput : ErrorCode::kUnavailable,
                    o.account + ": " + o.error));
    }
  }
  return kExitOk;
}

std::optional<int> OpenProviderAndCase(const Cli& cli, const std::string& hooks_path,
                                       const std::string& provider, ProviderAndCase* out) {
  auto ini = hooks::LoadHooksFile(hooks_path);
  if (!ini.ok()) return cli.Fail(ini.error());
  auto hook = hooks::MakeProviderHook(*ini, provider, DefaultClock());
  if (!hook.ok()) return cli.Fail(hook.error());
  out->hook.emplace(std::move(hook).value());
  if (!cli.common.case_path.empty()) {
    auto c = casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "reset");
    if (!c.ok()) return cli.Fail(c.error());
    out->case_db.emplace(std::move(c).value());
  }
  return std::nullopt;
}

void RecordInCase(const Cli& cli, std::optional<casedb::CaseDb>& case_db, const AccountOutcome& o) {
  if (!case_db) return;
  Status r = hooks::RecordOutcome(*case_db, o);
  if (!r.ok()) cli.Warn("could not record the action in the case: " + r.error().message);
}

}  // namespace mxir::tools
