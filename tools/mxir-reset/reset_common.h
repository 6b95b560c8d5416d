// What the mxir reset subcommands share: asking before a change, opening the provider hook and
// the case, printing each account's steps and outcome, and the exit status they give.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "casedb/case_db.h"
#include "core/cli.h"
#include "hooks/hook_factory.h"
#include "hooks/reset_runner.h"

namespace mxir::tools {

// Asks on the terminal; refuses (kUsage) without one.
Result<bool> Confirm(const std::string& question);

// The hook --provider names in the --hooks file, and the case when --case was given. On a
// problem, the exit status to return (the error is printed).
struct ProviderAndCase {
  std::optional<hooks::LoadedHook> hook;
  std::optional<casedb::CaseDb> case_db;
};
std::optional<int> OpenProviderAndCase(const Cli& cli, const std::string& hooks_path,
                                       const std::string& provider, ProviderAndCase* out);

void PrintSteps(const hooks::AccountOutcome& o);
void PrintOutcomes(const std::vector<hooks::AccountOutcome>& outcomes, OutputFormat format);
// 0 all done; 1 applied but unverified; else the error's status.
int ExitFor(const Cli& cli, const std::vector<hooks::AccountOutcome>& outcomes);
// Records the outcome in the case (when there is one); a failure to record is a warning.
void RecordInCase(const Cli& cli, std::optional<casedb::CaseDb>& case_db,
                  const hooks::AccountOutcome& o);

}  // namespace mxir::tools
