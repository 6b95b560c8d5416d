// Printing findings for people and pipes (spec/cli.md --format):
//   table  one line per finding, worst first: severity, kind, host, account, short verdict,
//          last seen; with `explain`, each line is followed by the explanation, the next
//          steps and the playbook, wrapped for a terminal;
//   json   one array of Finding objects (spec/events.md); jsonl one object per line.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/finding.h"
#include "core/record_printer.h"

namespace mxir::detect {

// With `explain`, each finding ends with the command that starts its runbook (mxir playbook
// run), naming `case_path` when given.
void PrintFindings(std::ostream& out, OutputFormat format, bool explain,
                   const std::vector<Finding>& findings, const std::string& case_path = "");

// The account column: the account, or "N accounts" when several.
std::string AccountText(const Finding& f);

}  // namespace mxir::detect
