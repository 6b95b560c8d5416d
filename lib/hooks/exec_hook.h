// ExecHook: an administrator's own command does the work (a site script, zmprov, plesk bin
// mail, uapi ...). The command line comes from the hooks file and is split on spaces without a
// shell; the command learns what to do from the environment (MXIR_ACTION = reset_password,
// revoke_sessions, suspend_outbound or resume_outbound; MXIR_ACCOUNT; MXIR_FORCE_CHANGE = 1 or 0)
// and, for a reset, reads the new password as one line on stdin — never argv, where any local user
// can see it. Exit 0 means done; the exit status and the output, scrubbed of the password and cut
// short, are recorded. Which actions the command supports is set by `actions` in the hooks file.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "hooks/command_runner.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct ExecConfig {
  std::vector<std::string> argv;
  unsigned capabilities = kSetPassword;
  std::chrono::milliseconds timeout{60000};
};

class ExecHook final : public ProviderHook {
 public:
  ExecHook(ExecConfig config, CommandRunner& runner)
      : config_(std::move(config)), runner_(runner) {}
  std::string name() const override { return "exec"; }
  unsigned capabilities() const override { return config_.capabilities; }
  Status ResetPassword(const std::string& account, const std::string& new_password,
                       bool force_change, std::vector<HookStep>& steps) override;
  Status RevokeSessions(const std::string& account, std::vector<HookStep>& steps) override;
  Status SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) override;

 private:
  Status RunAction(const std::string& action, const std::string& account,
                   const std::string& password, bool force_change, std::vector<HookStep>& steps);
  ExecConfig config_;
  CommandRunner& runner_;
};

}  // namespace mxir::hooks
