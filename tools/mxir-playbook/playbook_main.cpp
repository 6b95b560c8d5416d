// mxir playbook — runbooks that walk a person through an incident, step by step, recorded in
// the case.
#include <iostream>

#include "core/cli.h"
#include "playbook_commands.h"

namespace {

void Usage(std::ostream& out) {
  out << "mxir playbook — runbooks that walk you through an incident one step at a time: what\n"
         "to look at, which mxir command to run (with the case's values filled in), questions\n"
         "only you can answer, and a typed confirmation before anything is changed. Every step,\n"
         "answer and approval is recorded in the case; an interrupted run continues where it\n"
         "stopped.\n\n"
         "Usage: mxir playbook COMMAND [OPTIONS]\n\n"
         "Commands:\n"
         "  list     the runbooks there are (one per kind of finding)\n"
         "  show     one runbook's steps, in plain words:   mxir playbook show open-relay\n"
         "  lint     check runbook files (exit 2 with FILE:LINE for each problem)\n"
         "  run      start a runbook for a case:  mxir playbook run compromised-account --case "
         "acme.case\n"
         "  resume   continue the case's interrupted or waiting run\n"
         "  status   each run of the case with its steps, answers and outputs\n"
         "  export   a runbook as CACAO 2.0 JSON:  mxir playbook export triage --format cacao\n\n"
         "Exit status of run/resume: 0 completed, 1 a step failed or an expectation did not "
         "hold,\n2 invalid runbook or input, 3 waiting for an answer or an approval, 4 waiting "
         "until a\nlater time (a repeated check).\n"
         "Run 'mxir playbook COMMAND --help' for a command's options.\n";
}

}  // namespace

int mxir_playbook_main(int argc, char** argv) {
  using namespace mxir::tools;
  return mxir::DispatchSubcommand("playbook", argc, argv,
                                  {{"list", PlaybookList},
                                   {"show", PlaybookShow},
                                   {"lint", PlaybookLint},
                                   {"run", PlaybookRun},
                                   {"resume", PlaybookResume},
                                   {"status", PlaybookStatus},
                                   {"export", PlaybookExport}},
                                  Usage);
}
