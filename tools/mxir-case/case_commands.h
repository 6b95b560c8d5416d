// The subcommands of `mxir case`: each parses its own options (core/cli.h) and calls lib/casedb.
#pragma once

namespace mxir::tools {

int CaseNew(int argc, char** argv);
int CaseShow(int argc, char** argv);
int CaseAddAsset(int argc, char** argv);
int CaseNote(int argc, char** argv);
int CaseTimeline(int argc, char** argv);
int CaseExport(int argc, char** argv);
int CaseFindings(int argc, char** argv);
int CaseDismiss(int argc, char** argv);

}  // namespace mxir::tools
