#include "hooks/exec_hook.h"

#include "core/secret_fingerprint.h"
#include "hooks/scrub.h"

namespace mxir::hooks {

Status ExecHook::RunAction(const std::string& action, const std::string& account,
                           const std::string& password, bool force_change,
                           std::vector<HookStep>& steps) {
  CommandSpec spec;
  spec.argv = config_.argv;
  spec.env = {{"MXIR_ACTION", action},
              {"MXIR_ACCOUNT", account},
              {"MXIR_FORCE_CHANGE", force_change ? "1" : "0"}};
  if (!password.empty()) spec.stdin_data = password + "\n";
  spec.timeout = config_.timeout;
  auto r = runner_.Run(spec);
  SecureWipe(spec.stdin_data);
  std::string shown = CommandLineForDisplay(spec.argv);
  if (!r.ok()) {
    steps.push_back({action, false, r.error().message});
    return r.error().WithContext("exec hook");
  }
  std::string out = ScrubSecrets(r->output, {password}, 2048);
  SecureWipe(r->output);
  bool ok = !r->timed_out && r->exit_status == 0;
  std::string status =
      r->timed_out
          ? "timed out after " + std::to_string(config_.timeout.count() / 1000) + " s (killed)"
          : "exit " + std::to_string(r->exit_status);
  steps.push_back({action, ok, shown + ": " + status + (out.empty() ? "" : "; output: " + out)});
  if (!ok) {
    return MakeError(ErrorCode::kUnavailable, "exec hook '" + shown + "' (" + action +
                                                  "): " + status +
                                                  (out.empty() ? "" : ": " + out.substr(0, 300)));
  }
  return Status::Ok();
}

Status ExecHook::ResetPassword(const std::string& account, const std::string& new_password,
                               bool force_change, std::vector<HookStep>& steps) {
  return RunAction("reset_password", account, new_password, force_change, steps);
}
Status ExecHook::RevokeSessions(const std::string& account, std::vector<HookStep>& steps) {
  return RunAction("revoke_sessions", account, "", false, steps);
}
Status ExecHook::SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) {
  return RunAction("suspend_outbound", account, "", false, steps);
}
Status ExecHook::ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) {
  return RunAction("resume_outbound", account, "", false, steps);
}

}  // namespace mxir::hooks
