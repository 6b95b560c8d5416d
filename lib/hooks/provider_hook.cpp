#include "hooks/provider_hook.h"

namespace mxir::hooks {

Error ProviderHook::Unsupported(const std::string& what) const {
  return MakeError(ErrorCode::kUsage, "provider '" + name() + "' cannot " + what);
}

Status ProviderHook::Preflight(const std::string&, std::vector<HookStep>&) { return Status::Ok(); }
Status ProviderHook::ResetPassword(const std::string&, const std::string&, bool,
                                   std::vector<HookStep>&) {
  return Unsupported("set passwords");
}
Status ProviderHook::RevokeSessions(const std::string&, std::vector<HookStep>&) {
  return Unsupported("end sessions");
}
Status ProviderHook::SuspendOutbound(const std::string&, std::vector<HookStep>&) {
  return Unsupported("suspend outbound mail");
}
Status ProviderHook::ResumeOutbound(const std::string&, std::vector<HookStep>&) {
  return Unsupported("resume outbound mail");
}
Status ProviderHook::PurgeHeld(const std::string&, std::vector<HookStep>&) {
  return Unsupported("delete held mail");
}
ContainmentCheck ProviderHook::VerifyContained(const std::string&, std::vector<HookStep>&) {
  return {};
}
void ProviderHook::PlanVerifyContained(const std::string&, std::vector<HookStep>&) {}
Result<std::string> ProviderHook::Verify(const std::string&, const std::string&) {
  return Unsupported("verify a reset");
}
Result<std::vector<Leftover>> ProviderHook::ListLeftovers(const std::string&) {
  return Unsupported("list forwarding rules or app passwords");
}

}  // namespace mxir::hooks
