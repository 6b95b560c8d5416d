// mxir case — create and inspect an incident's case database.
#include <iostream>
#include <string>

#include "case_commands.h"
#include "core/version.h"

namespace {

void Usage(std::ostream& out) {
  out << "mxir case — the incident's case database: one file holding everything mxir learns and\n"
         "does during an incident (assets, events, findings, and an audit trail of actions).\n\n"
         "Usage: mxir case COMMAND [OPTIONS]\n\n"
         "Commands:\n"
         "  new        create a case:  mxir case new --case acme.case --title \"Acme spam "
         "outbreak\"\n"
         "             --domain acme.example --ip 203.0.113.25 --account bob@acme.example\n"
         "  show       what the case holds (title, assets, counts of events, findings, actions)\n"
         "  add-asset  add an IP, network, domain or account to watch\n"
         "  note       write a person's note into the audit trail\n"
         "  timeline   events, findings and actions merged in time order\n"
         "  export     the whole case as one JSON document (without the fingerprint key)\n\n"
         "Run 'mxir case COMMAND --help' for a command's options. The case file may also be given\n"
         "by the environment variable MXIR_CASE.\n";
}

}  // namespace

int mxir_case_main(int argc, char** argv) {
  if (argc < 2) {
    Usage(std::cerr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    Usage(std::cout);
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "mxir " << MXIR_VERSION << "\n";
    return 0;
  }
  // The subcommand sees itself as argv[0].
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (cmd == "new") return mxir::tools::CaseNew(sub_argc, sub_argv);
  if (cmd == "show") return mxir::tools::CaseShow(sub_argc, sub_argv);
  if (cmd == "add-asset") return mxir::tools::CaseAddAsset(sub_argc, sub_argv);
  if (cmd == "note") return mxir::tools::CaseNote(sub_argc, sub_argv);
  if (cmd == "timeline") return mxir::tools::CaseTimeline(sub_argc, sub_argv);
  if (cmd == "export") return mxir::tools::CaseExport(sub_argc, sub_argv);
  std::cerr << "mxir case: error: unknown command '" << cmd
            << "'\nTry 'mxir case --help' for the commands.\n";
  return 2;
}
