// ProcessRunner: runs one mxir tool for a runbook step — an argument list, no shell — and
// captures its standard output (for `outputs:`) and standard error separately, with a hard
// timeout after which the tool is killed. An interface so tests can fake the tools.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace mxir::playbook {

struct ProcessResult {
  int exit_code = -1;  // the exit status; 128+N when killed by signal N
  bool timed_out = false;
  std::string out, err;  // cut at the limits below (the rest is drained and dropped)
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // An error only when the program could not be started.
  virtual Result<ProcessResult> Run(const std::vector<std::string>& argv, int64_t timeout_s,
                                    const std::map<std::string, std::string>& env) = 0;
};

// Runs argv[0] as a path (the caller resolves "mxir" to the mxir binary beside mxir-playbook).
class SystemProcessRunner final : public ProcessRunner {
 public:
  static constexpr size_t kMaxOut = 16 * 1024 * 1024, kMaxErr = 256 * 1024;
  Result<ProcessResult> Run(const std::vector<std::string>& argv, int64_t timeout_s,
                            const std::map<std::string, std::string>& env) override;
};

}  // namespace mxir::playbook
