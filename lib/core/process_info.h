// Who is running this tool: recorded as the actor of every action in a case's audit trail.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mxir {

// The login name (and, under sudo, who ran sudo: "root (sudo by alice)"); never empty.
std::string CurrentActor();

// The environment for a command mxir starts (hooks, doveadm, Postfix tools, --on-change): only
// PATH, HOME, LANG, LANGUAGE, LC_*, TZ, USER, LOGNAME and TMPDIR from mxir's own environment
// (which may hold other hooks' secrets), PATH defaulted when unset, then `extra` (replacing).
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& extra = {});

// For tools that hold passwords in memory: no core file and no ptrace by other processes of the
// same user (RLIMIT_CORE 0, PR_SET_DUMPABLE 0), so a crash cannot leave a password on disk.
void DisableCoreDumps();

}  // namespace mxir
