// mxir reset verify: proves a reset from outside with SMTP AUTH (lib/hooks/smtp_auth_check.h).
#include <iostream>
#include <sstream>
#include <string>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "core/cli.h"
#include "core/secret_fingerprint.h"
#include "hooks/secret_ref.h"
#include "hooks/smtp_auth_check.h"
#include "reset_commands.h"

namespace mxir::tools {
namespace {

// A password file is either one line (the password) or 'ACCOUNT<TAB>PASSWORD' lines.
Result<std::string> PasswordFor(const std::string& path, const std::string& account) {
  MXIR_ASSIGN_OR_RETURN(std::string text, hooks::ReadPrivateFile(path, "password file"));
  std::istringstream in(text);
  std::string line, found;
  int lines = 0;
  bool tabbed = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    ++lines;
    auto tab = line.find('\t');
    if (tab != std::string::npos) {
      tabbed = true;
      if (line.substr(0, tab) == account) found = line.substr(tab + 1);
    } else if (lines == 1) {
      found = line;
    }
  }
  SecureWipe(text);
  SecureWipe(line);
  if (found.empty() || (!tabbed && lines != 1)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "password file '" + path + "' holds no password for " + account +
                         " (expected one line, or 'ACCOUNT<TAB>PASSWORD' lines)");
  }
  return found;
}

}  // namespace

int VerifyCommand(int argc, char** argv) {
  Cli cli(
      "reset verify", "check with SMTP AUTH that a reset took effect",
      "ACCOUNT --smtp HOST:PORT [--password-file F] [--old-password-file F] [--ca-file F]",
      "Logs in to an SMTP submission service as the account, the way a mail client would: the new\n"
      "password (from --password-file, as written by 'mxir reset') must be accepted, and the old\n"
      "one (from --old-password-file) must now be refused. Passwords are read only from private\n"
      "files (mode 0600), never from the command line. STARTTLS is used when offered, with the\n"
      "certificate checked (--ca-file for a private CA, --tls-name for the name it carries);\n"
      "without STARTTLS, AUTH is sent only to a loopback address. With --case, the result is\n"
      "recorded in the case's audit trail.");
  std::string account, smtp, new_file, old_file, ca_file, tls_name;
  int timeout = 15;
  cli.options().add_options()("account", po::value(&account), "the account to log in as")(
      "smtp", po::value(&smtp)->value_name("HOST:PORT"), "the SMTP submission service")(
      "password-file", po::value(&new_file)->value_name("F"), "the new password")(
      "old-password-file", po::value(&old_file)->value_name("F"), "the old (compromised) password")(
      "ca-file", po::value(&ca_file)->value_name("F"),
      "CA certificate(s) for the server's STARTTLS")(
      "tls-name", po::value(&tls_name)->value_name("NAME"),
      "the host name the server's certificate must carry (default: the --smtp host)")(
      "timeout", po::value(&timeout)->value_name("SECONDS")->default_value(15),
      "per login attempt");
  cli.AddPositional("account", 1);
  cli.AddCase(true);
  cli.AddEpilog(
      "\nExample:\n"
      "  mxir reset verify bob@example.test --smtp 127.0.0.1:587 --password-file new.txt \\\n"
      "      --old-password-file old.txt --case acme.case\n"
      "\nExit status: 0 every check passed; 1 a check failed (the new password is refused, or the\n"
      "old one still works); 2 bad usage or input; 3 the server could not be reached.\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (account.empty() || smtp.empty())
    return cli.UsageError("give the ACCOUNT and --smtp HOST:PORT");
  if (new_file.empty() && old_file.empty()) {
    return cli.UsageError("give --password-file and/or --old-password-file");
  }
  if (timeout < 1 || timeout > 300) return cli.UsageError("--timeout must be 1..300 seconds");
  auto target = hooks::ParseSmtpTarget(smtp);
  if (!target.ok()) return cli.Fail(target.error());
  target->ca_file = ca_file;
  target->tls_name = tls_name;
  target->timeout = std::chrono::seconds(timeout);

  bool all_ok = true;
  nlohmann::ordered_json details = {{"smtp", smtp}};
  for (int i = 0; i < 2; ++i) {
    const std::string& file = i == 0 ? new_file : old_file;
    if (file.empty()) continue;
    const char* which = i == 0 ? "new" : "old";
    auto password = PasswordFor(file, account);
    if (!password.ok()) return cli.Fail(password.error());
    auto r = hooks::SmtpAuthCheck(*target, account, *password);
    SecureWipe(password.value());
    if (!r.ok()) return cli.Fail(r.error());
    bool want = i == 0;
    bool pass = r->accepted == want;
    all_ok = all_ok && pass;
    std::cout << (pass ? "ok     " : "FAILED ") << which << " password "
              << (r->accepted ? "accepted" : "refused") << " (" << r->reply_text << ")"
              << (r->tls ? " [STARTTLS]" : "") << "\n";
    details[std::string(which) + "_password"] = r->accepted ? "accepted" : "refused";
    details[std::string(which) + "_reply"] = r->reply_text;
  }
  if (!cli.common.case_path.empty()) {
    auto c = casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "reset");
    if (!c.ok()) return cli.Fail(c.error());
    casedb::ActionLog log(*c);
    Status s =
        log.Record("reset", account, "verify_smtp_auth", all_ok ? "verified" : "failed", details);
    if (!s.ok()) cli.Warn("could not record the check in the case: " + s.error().message);
  }
  return all_ok ? kExitOk : kExitFound;
}

}  // namespace mxir::tools
