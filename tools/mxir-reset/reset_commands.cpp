// mxir reset ACCOUNT: a new password through a provider hook, sessions ended, the change
// verified, leftovers listed; the passwords shown once or written to a private file.
#include "reset_commands.h"

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/file_util.h"
#include "core/secret_fingerprint.h"
#include "hooks/password_file.h"
#include "hooks/password_generator.h"
#include "reset_common.h"

namespace mxir::tools {

namespace {

using hooks::AccountOutcome;

constexpr const char* kProviders =
    "ldap, dovecot, m365, google, cpanel, exec, webhook (passwords); postfix, cpanel, exec, "
    "webhook (containment)";

}  // namespace

int ResetCommand(int argc, char** argv) {
  Cli cli(
      "reset", "force a password reset and end sessions through a provider hook",
      "ACCOUNT --provider NAME --hooks FILE [--dry-run] [--yes] [--password-file OUT] [--case "
      "FILE]",
      "Sets a new strong random password for a mail account through its provider (where the\n"
      "account lives: ldap, dovecot, m365, google, cpanel, exec or webhook), forces a change at\n"
      "next login where the provider can, ends the account's sessions, checks that the change\n"
      "took effect, and lists what an attacker may have left behind (forwarding and inbox rules,\n"
      "Sieve redirects, app passwords). Every action is recorded in the case's audit trail,\n"
      "never the password.\n\n"
      "The new password is shown once on the terminal, or written to a new 0600 file with\n"
      "--password-file; with no terminal and no --password-file, nothing is done (exit 2).\n"
      "Provider settings come from the hooks file (INI, one [provider] section each; it must not\n"
      "be readable by group or others; secrets only as secret_file = PATH or secret_env = NAME;\n"
      "every key is listed in docs/mxir-reset.md; unknown keys are refused). A commented example\n"
      "for each provider: docs/examples/hooks-PROVIDER.ini (e.g. "
      "docs/examples/hooks-dovecot.ini).\n"
      "Start with --dry-run: it checks the settings, that the account exists and what each step\n"
      "needs (e.g. the doveadm program), and says what it would not be able to do.\n\n"
      "Other commands:\n"
      "  mxir reset verify ACCOUNT --smtp HOST:PORT --password-file F [--old-password-file F]\n"
      "      log in with SMTP AUTH: the new password must work, the old one must not\n"
      "  mxir reset contain|release|purge ACCOUNT --provider postfix --hooks FILE\n"
      "      stop the account sending at once and hold its queued mail; later release or delete "
      "it\n"
      "Run them with --help for details.");
  std::string account, provider, hooks_path, password_file;
  bool dry_run = false, yes = false, from_findings = false, no_force = false;
  size_t length = 20;
  cli.options().add_options()("account", po::value(&account),
                              "the account (as the provider names it)")(
      "provider", po::value(&provider)->value_name("NAME"),
      "the provider hook to use (a [NAME] section of the hooks file)")(
      "hooks", po::value(&hooks_path)->value_name("FILE"), "the hooks file (INI, private)")(
      "dry-run", po::bool_switch(&dry_run),
      "check the settings and the account, say what would be done, change nothing")(
      "yes", po::bool_switch(&yes), "do not ask for confirmation")(
      "password-file", po::value(&password_file)->value_name("OUT"),
      "write the new password to OUT (created with mode 0600, never overwritten) instead of the "
      "terminal; "
      "with --from-findings one 'ACCOUNT<TAB>PASSWORD' line per account")(
      "from-findings", po::bool_switch(&from_findings),
      "reset every account of an account_compromise finding in the case (only those; the "
      "accounts of other findings are listed with the reason they are skipped)")(
      "length", po::value(&length)->value_name("N")->default_value(20),
      "password length (12..128)")("no-force-change", po::bool_switch(&no_force),
                                   "do not force a change at next login");
  cli.AddPositional("account", 1);
  cli.AddCase(true);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddEpilog(
      "\nExamples:\n"
      "  mxir reset bob@example.test --provider dovecot --hooks /etc/mxir/hooks.ini --case "
      "acme.case\n"
      "  mxir reset bob@example.test --provider m365 --hooks hooks.ini --dry-run\n"
      "  mxir reset --from-findings --case acme.case --provider ldap --hooks hooks.ini \\\n"
      "      --password-file new-passwords.txt --yes\n"
      "\nExit status: 0 done (and verified where the provider can verify); 2 bad usage or input\n"
      "(unknown account, hooks file readable by others, no terminal and no --password-file);\n"
      "3 the provider failed or the change could not be verified (see the steps printed).\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (provider.empty())
    return cli.UsageError("--provider NAME is required (" + std::string(kProviders) + ")");
  if (hooks_path.empty()) return cli.UsageError("--hooks FILE is required");
  if (from_findings == !account.empty()) {
    return cli.UsageError("give one ACCOUNT, or --from-findings with --case");
  }
  ProviderAndCase opened;
  if (auto rc = OpenProviderAndCase(cli, hooks_path, provider, &opened)) return *rc;
  hooks::LoadedHook& hook = *opened.hook;
  std::optional<casedb::CaseDb>& case_db = opened.case_db;
  std::vector<std::string> accounts;
  if (from_findings) {
    if (!case_db) return cli.UsageError("--from-findings needs --case FILE");
    auto found = hooks::AccountsFromFindings(*case_db);
    if (!found.ok()) return cli.Fail(found.error());
    for (const auto& d : found->devices) {
      std::cerr
          << "not resetting " << d.account << " (stale_credentials finding " << d.finding_id
          << "): a device keeps trying an old password; the fix is that device's saved password, "
             "not a reset\n";
    }
    for (const auto& s : found->skipped) {
      std::cerr << "not resetting " << s.entry.account << " (" << s.entry.finding_kind
                << " finding " << s.entry.finding_id << "): " << s.reason << "\n";
    }
    if (found->to_reset.empty()) {
      std::cerr << "no active account_compromise finding names an account: nothing to reset\n";
      return kExitOk;
    }
    std::cerr << "accounts to reset via " << provider << ":\n";
    for (const auto& e : found->to_reset) {
      std::cerr << "  " << e.account << " (" << e.finding_kind << " finding " << e.finding_id
                << ")\n";
      accounts.push_back(e.account);
    }
  } else {
    accounts.push_back(account);
  }

  bool to_terminal = password_file.empty();
  std::optional<hooks::PasswordFile> out_file;
  if (!dry_run) {
    if (to_terminal && !::isatty(STDOUT_FILENO)) {
      return cli.UsageError("no terminal to show the new password on: give --password-file OUT");
    }
    if (!to_terminal && FileExists(password_file)) {
      return cli.UsageError("--password-file '" + password_file +
                            "' exists; choose a new file (it is never overwritten)");
    }
    if (!yes) {
      auto ok =
          Confirm("Reset the password of " + std::to_string(accounts.size()) + " account(s) via " +
                  provider + " (" + accounts.front() + (accounts.size() > 1 ? ", ..." : "") + ")?");
      if (!ok.ok()) return cli.Fail(ok.error());
      if (!*ok) {
        std::cerr << "nothing done\n";
        return kExitUsage;
      }
    }
    // Created (empty, 0600) before any password changes, so a password that was set can
    // always be written down.
    if (!to_terminal) {
      auto created = hooks::PasswordFile::Create(password_file);
      if (!created.ok()) return cli.Fail(created.error());
      out_file.emplace(std::move(*created));
    }
  }

  hooks::PasswordPolicy policy;
  policy.length = length;
  hooks::ResetOptions options;
  options.dry_run = dry_run;
  options.force_change = !no_force;
  std::vector<AccountOutcome> outcomes;
  for (const auto& acct : accounts) {
    std::string password;
    if (!dry_run) {
      auto p = hooks::GeneratePassword(policy);
      if (!p.ok()) return cli.Fail(p.error());
      password = std::move(p).value();
    }
    std::cerr << acct << " via " << provider << (dry_run ? " (dry run)" : "") << ":\n";
    // The new password is written down (terminal or --password-file) and the change recorded in
    // the case as soon as the provider has set it: nothing after that (ending sessions,
    // verifying, reading the user's home for leftovers) can lose it.
    bool write_failed = false;
    options.on_password_set = [&](const AccountOutcome& set) -> Status {
      if (to_terminal) {
        std::cout << "New password for " << acct << ": " << password
                  << "\n(shown once; mxir does not store it)" << std::endl;
      } else {
        // Appended and synced as soon as it is set: a later failure never loses it.
        Status w = out_file->Append(acct, password, /*with_account=*/from_findings);
        if (!w.ok()) {
          write_failed = true;
          std::cerr << "mxir reset: error: the password of " << acct
                    << " WAS changed but could not be written: " << w.error().message << "\n";
          return w.error().WithContext("the new password could not be written");
        }
      }
      if (case_db) {
        AccountOutcome early = set;
        early.outcome = "password_set";
        early.steps.push_back(
            {"written_down", true,
             to_terminal ? "shown on the terminal" : "written to " + password_file});
        RecordInCase(cli, case_db, early);
      }
      return Status::Ok();
    };
    AccountOutcome o = hooks::ResetAccount(hook.hook(), acct, password, options);
    options.on_password_set = nullptr;
    PrintSteps(o);
    SecureWipe(password);
    if (write_failed) {
      out_file->Finish();
      if (case_db) (void)hooks::RecordOutcome(*case_db, o);
      return kExitInternal;
    }
    RecordInCase(cli, case_db, o);
    outcomes.push_back(std::move(o));
  }
  // No password was set: Finish() leaves no empty file behind.
  if (out_file && out_file->Finish()) {
    std::cerr << "new password(s) written to " << password_file << " (mode 0600)\n";
  }
  if (!to_terminal || cli.Has("format")) PrintOutcomes(outcomes, cli.common.format);
  return ExitFor(cli, outcomes);
}

}  // namespace mxir::tools
