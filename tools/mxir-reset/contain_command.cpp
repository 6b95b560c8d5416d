// mxir reset contain|release|purge: stop an account's outbound mail through a provider hook,
// then lift the block and release or delete the mail it held.
#include <iostream>
#include <string>
#include <vector>

#include "reset_commands.h"
#include "reset_common.h"

namespace mxir::tools {

using hooks::AccountOutcome;

int ContainCommand(int argc, char** argv) {
  std::string cmd = argv[0];
  hooks::ContainmentAction action = cmd == "contain"   ? hooks::ContainmentAction::kSuspend
                                    : cmd == "release" ? hooks::ContainmentAction::kRelease
                                                       : hooks::ContainmentAction::kPurge;
  Cli cli(
      "reset " + cmd, "contain an account's outbound mail, then release or purge it",
      "ACCOUNT --provider NAME --hooks FILE [--dry-run] [--yes] [--case FILE]",
      "contain: stop the account sending now (postfix: refuse its SMTP AUTH logins through the\n"
      "check_sasl_access map, postmap, postfix reload, and hold the mail it has queued; cpanel:\n"
      "Email::suspend_outgoing; exec/webhook: action suspend_outbound). A new password does not\n"
      "end SMTP sessions that already authenticated; containment does.\n"
      "With postfix, contain is only reported done after it was tried: on every listener with\n"
      "SASL AUTH, mxir acts as the login through Postfix's XCLIENT (allowed only to the hosts in\n"
      "smtpd_authorized_xclient_hosts, e.g. 127.0.0.1) and sends MAIL FROM and RCPT TO, never\n"
      "DATA: each must be refused with the block's text. Where Postfix does not allow that, the\n"
      "outcome is 'unverified' (exit 1) with the swaks command that checks it by hand;\n"
      "--dry-run says beforehand which listeners mxir will be able to try.\n"
      "release: lift the block and release the held mail (cpanel: unsuspend_outgoing).\n"
      "purge: delete the held mail and lift the block (postfix only).\n");
  std::string account, provider, hooks_path;
  bool dry_run = false, yes = false;
  cli.options().add_options()("account", po::value(&account), "the account (SASL login name)")(
      "provider", po::value(&provider)->value_name("NAME"), "postfix, cpanel, exec or webhook")(
      "hooks", po::value(&hooks_path)->value_name("FILE"), "the hooks file (INI, private)")(
      "dry-run", po::bool_switch(&dry_run), "check the settings, change nothing")(
      "yes", po::bool_switch(&yes), "do not ask for confirmation");
  cli.AddPositional("account", 1);
  cli.AddCase(true);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  cli.AddEpilog(
      "\nExamples:\n"
      "  mxir reset contain bob@example.test --provider postfix --hooks hooks.ini --case acme.case "
      "--yes\n"
      "  mxir reset release bob@example.test --provider postfix --hooks hooks.ini --case acme.case "
      "--yes\n"
      "\nExit status: 0 done (postfix contain: and verified, a submission as the login was\n"
      "refused on every listener with SASL AUTH); 1 postfix contain: the block is in place but\n"
      "could not be verified here (the output says why and how to check it by hand); 2 bad usage\n"
      "or input; 3 the provider or a Postfix command failed, or Postfix still accepted a\n"
      "submission as the login.\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (account.empty()) return cli.UsageError("give the ACCOUNT");
  if (provider.empty() || hooks_path.empty())
    return cli.UsageError("--provider NAME and --hooks FILE are required");
  ProviderAndCase opened;
  if (auto rc = OpenProviderAndCase(cli, hooks_path, provider, &opened)) return *rc;
  hooks::LoadedHook& hook = *opened.hook;
  std::optional<casedb::CaseDb>& case_db = opened.case_db;
  if (!dry_run && !yes) {
    auto ok = Confirm(cmd + " " + account + " via " + provider + "?");
    if (!ok.ok()) return cli.Fail(ok.error());
    if (!*ok) {
      std::cerr << "nothing done\n";
      return kExitUsage;
    }
  }
  std::cerr << cmd << " " << account << " via " << provider << (dry_run ? " (dry run)" : "")
            << ":\n";
  AccountOutcome o = hooks::ContainAccount(hook.hook(), account, action, dry_run);
  PrintSteps(o);
  RecordInCase(cli, case_db, o);
  std::vector<AccountOutcome> all{o};
  PrintOutcomes(all, cli.common.format);
  return ExitFor(cli, all);
}

}  // namespace mxir::tools
