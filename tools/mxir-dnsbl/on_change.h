// Runs the user's --on-change command with the changes as JSON on its standard input.
#pragma once

#include <string>

#include "core/status.h"

namespace mxir::tools {

// Runs `/bin/sh -c command` in its own process group with a minimal environment, writes `input`
// to its stdin and waits; after `timeout_s` seconds in all (writing included) the whole group is
// killed and an error returned. Returns its exit status (128 + signal when killed).
Result<int> RunChangeCommand(const std::string& command, const std::string& input, int timeout_s);

}  // namespace mxir::tools
