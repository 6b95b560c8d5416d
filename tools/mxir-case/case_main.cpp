// mxir case — create and inspect an incident's case database.
#include <iostream>

#include "case_commands.h"
#include "core/cli.h"

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
         "  findings   the stored findings and their status (active, resolved, dismissed)\n"
         "  dismiss    mark a finding a false positive:  mxir case dismiss --case acme.case ID "
         "--why TEXT\n"
         "  note       write a person's note into the audit trail\n"
         "  timeline   events, findings and actions merged in time order\n"
         "  export     the whole case as one JSON document (without the fingerprint key)\n\n"
         "Run 'mxir case COMMAND --help' for a command's options. The case file may also be given\n"
         "by the environment variable MXIR_CASE.\n";
}

}  // namespace

int mxir_case_main(int argc, char** argv) {
  using namespace mxir::tools;
  return mxir::DispatchSubcommand("case", argc, argv,
                                  {{"new", CaseNew},
                                   {"show", CaseShow},
                                   {"add-asset", CaseAddAsset},
                                   {"note", CaseNote},
                                   {"findings", CaseFindings},
                                   {"dismiss", CaseDismiss},
                                   {"timeline", CaseTimeline},
                                   {"export", CaseExport}},
                                  Usage);
}
