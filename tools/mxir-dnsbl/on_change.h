// Runs the user's --on-change command with the changes as JSON on its standard input.
#pragma once

#include <string>

#include "core/status.h"

namespace mxir::tools {

// Runs `/bin/sh -c command`, writes `input` to its stdin, waits at most `timeout_s` seconds
// (then kills it). Returns its exit status (128 + signal when killed).
Result<int> RunChangeCommand(const std::string& command, const std::string& input, int timeout_s);

}  // namespace mxir::tools
