// mxir — the git-style dispatcher: `mxir TOOL ARGS...` runs `mxir-TOOL ARGS...` from the
// directory this program lives in (so a build tree or an install works without PATH changes).
#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/file_util.h"
#include "core/version.h"

namespace {

struct Tool {
  const char* name;
  const char* summary;
};

// Every tool, with the one line `mxir --help` shows.
constexpr Tool kTools[] = {
    {"case", "create and inspect an incident's case database (assets, timeline, export)"},
    {"capture", "read SMTP sessions from pcap files or a live interface: who logs in, who sends"},
    {"ingest", "read the same facts from mail-server logs (Postfix, Dovecot, Exim, ...)"},
    {"collect", "pull sign-ins and mail logs from Microsoft 365 or Google Workspace APIs"},
    {"detect", "name the host and account: attacker, stale device, compromised sender, relay"},
    {"dnsbl", "check IPs and domains on DNS blocklists; watch and track delisting"},
    {"report", "write the weekly blocklist/delisting status report"},
    {"reset", "force a password reset and end sessions through a provider hook, then verify"},
    {"playbook", "walk through an incident step by step (runbooks), recorded in the case"},
    {"relay", "a temporary clean relay path on Postfix with guard rails, while the IP is listed"},
};

std::string SelfDir() {
  std::string dir = mxir::ExecutableDir();
  return dir.empty() ? "." : dir;
}

void Usage(std::ostream& out) {
  out << "mxir " << MXIR_VERSION
      << " — mail incident response: find the device or attacker behind failing SMTP AUTH,\n"
         "stop a compromised account, and track the blocklist clean-up afterwards.\n\n"
         "Usage: mxir TOOL [ARGS...]     (the same as running mxir-TOOL ARGS...)\n\n"
         "The incident day in five steps:\n"
         "  1. mxir case new --case acme.case --title \"what happened\" --domain acme.example\n"
         "  2. mxir ingest --case acme.case /var/log/mail.log      (and/or mxir capture --read "
         "x.pcap --case acme.case)\n"
         "  3. mxir detect --case acme.case --internal 10.0.0.0/8 --explain   (who, what, next "
         "steps)\n"
         "  4. mxir reset --from-findings --case acme.case --provider P --hooks hooks.ini "
         "--dry-run\n"
         "     (example hooks files: docs/examples/; then without --dry-run; mxir reset contain "
         "to stop sending)\n"
         "  5. mxir dnsbl watch --case acme.case, then mxir report weekly --case acme.case\n"
         "  mxir case show / case findings / case timeline --case acme.case show where you are.\n\n"
         "Tools:\n";
  std::string dir = SelfDir();
  for (const auto& t : kTools) {
    bool present = ::access((dir + "/mxir-" + t.name).c_str(), X_OK) == 0;
    std::string name = t.name;
    out << "  " << name << std::string(10 - name.size(), ' ') << t.summary
        << (present ? "" : " (not built)") << "\n";
  }
  out << "\nRun 'mxir TOOL --help' for a tool's options and examples.\n"
         "Most tools share --case FILE (or MXIR_CASE): the incident's case database.\n"
         "Times are shown in --tz ZONE, else MXIR_TZ, else the system's zone (JSON stays UTC).\n";
}

}  // namespace

int mxir_mxir_main(int argc, char** argv) {
  if (argc < 2) {
    Usage(std::cerr);
    return 2;
  }
  std::string tool = argv[1];
  if (tool == "--help" || tool == "-h" || tool == "help") {
    Usage(std::cout);
    return 0;
  }
  if (tool == "--version") {
    std::cout << "mxir " << MXIR_VERSION << "\n";
    return 0;
  }
  if (tool.empty() || tool[0] == '-' || tool.find('/') != std::string::npos) {
    std::cerr << "mxir: error: '" << tool << "' is not a tool name\nTry 'mxir --help'.\n";
    return 2;
  }
  std::string path = SelfDir() + "/mxir-" + tool;
  std::vector<char*> args;
  std::string argv0 = "mxir-" + tool;
  args.push_back(argv0.data());
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(path.c_str(), args.data());
  int err = errno;
  if (err == ENOENT) {
    std::cerr << "mxir: error: no tool '" << tool << "' (looked for " << path
              << ")\nTry 'mxir --help' for the list.\n";
    return 2;
  }
  std::cerr << "mxir: error: cannot run " << path << ": " << std::strerror(err) << "\n";
  return 3;
}
