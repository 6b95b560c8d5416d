// The subcommands of mxir playbook (each sees its own name as argv[0]).
#pragma once

namespace mxir::tools {

int PlaybookList(int argc, char** argv);
int PlaybookShow(int argc, char** argv);
int PlaybookLint(int argc, char** argv);
int PlaybookRun(int argc, char** argv);
int PlaybookResume(int argc, char** argv);
int PlaybookStatus(int argc, char** argv);
int PlaybookExport(int argc, char** argv);

}  // namespace mxir::tools
