// CommandRunner: runs an administrator's or a mail server's command (doveadm, postmap, postfix,
// postsuper, an exec hook) the safe way: argv without a shell, secrets only on stdin or in the
// environment (never argv, where every local user can read them in /proc), stdout and stderr
// captured together up to a limit, a hard timeout after which the command is killed.
//
// An interface so tests can fake the outside world; SystemCommandRunner is the real one.
// Thread-compatible.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace mxir::hooks {

struct CommandSpec {
  std::vector<std::string> argv;           // argv[0] is a path or a name looked up in PATH
  std::string stdin_data;                  // written to the command's stdin, then closed
  std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
  std::chrono::milliseconds timeout{30000};
  size_t max_output = 64 * 1024;  // output beyond this is discarded (still drained)
};

struct CommandResult {
  int exit_status = -1;  // exit code; 128+N when killed by signal N
  bool timed_out = false;
  std::string output;  // stdout and stderr interleaved, raw (the caller scrubs it)
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // An error only when the command could not be started (not found, not executable); a command
  // that ran and failed is a CommandResult with its exit status.
  virtual Result<CommandResult> Run(const CommandSpec& spec) = 0;
};

class SystemCommandRunner final : public CommandRunner {
 public:
  Result<CommandResult> Run(const CommandSpec& spec) override;
};

// "doveadm kick" for messages: argv joined with spaces (argv never holds secrets).
std::string CommandLineForDisplay(const std::vector<std::string>& argv);

}  // namespace mxir::hooks
