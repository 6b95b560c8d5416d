#include "hooks/cpanel_hook.h"

#include <nlohmann/json.hpp>

#include "core/secret_fingerprint.h"
#include "hooks/cloud_error.h"
#include "hooks/encoding.h"
#include "hooks/json_field.h"
#include "hooks/scrub.h"

namespace mxir::hooks {

CpanelHook::~CpanelHook() { SecureWipe(config_.token); }

Status CpanelHook::Uapi(const std::string& function, const std::string& form,
                        const std::string& step, const std::vector<std::string>& secrets,
                        std::vector<HookStep>& steps) {
  HttpRequest req;
  req.method = "POST";
  req.url = config_.base_url + "/execute/Email/" + function;
  req.headers = {{"Authorization", "cpanel " + config_.user + ":" + config_.token},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = form;
  int attempts = 0;
  // Each function sets a state (a password, a flag): repeating it after a 5xx is harmless.
  auto resp = SendWithRetry(http_, req, true, config_.retry, &attempts);
  SecureWipe(req.body);
  SecureWipe(req.headers[0].second);
  std::vector<std::string> all = secrets;
  all.push_back(config_.token);
  Error err;
  if (!resp.ok()) {
    err = resp.error().WithContext("cpanel Email::" + function);
  } else if (resp->status != 200) {
    err = DescribeHttpFailure("cpanel", "Email::" + function, *resp, all, attempts);
  } else {
    auto j = nlohmann::json::parse(resp->body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && JsonInt(j, "status") == 1) {
      steps.push_back({step, true, "UAPI Email::" + function + ": status 1"});
      return Status::Ok();
    }
    std::string why = j.is_discarded() ? "answer is not JSON" : ProviderErrorText(resp->body);
    err = MakeError(ErrorCode::kUnavailable, "cpanel Email::" + function + ": status 0 (" +
                                                 ScrubSecrets(why, all, 300) + ")");
    if (why.find("not exist") != std::string::npos || why.find("not found") != std::string::npos) {
      err.code = ErrorCode::kNotFound;
    }
  }
  steps.push_back({step, false, err.message});
  return err;
}

Status CpanelHook::ResetPassword(const std::string& account, const std::string& new_password,
                                 bool force_change, std::vector<HookStep>& steps) {
  auto at = account.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == account.size()) {
    return MakeError(ErrorCode::kInvalidInput, "cpanel accounts are full addresses (user@domain)");
  }
  std::string form = FormEncode({{"email", account.substr(0, at)},
                                 {"domain", account.substr(at + 1)},
                                 {"password", new_password}});
  Status s = Uapi("passwd_pop", form, "set_password", {new_password}, steps);
  SecureWipe(form);
  if (s.ok() && force_change) {
    steps.push_back(
        {"force_change", true,
         "not available: cPanel mail has no must-change flag; hand the password over out of band"});
  }
  return s;
}

Status CpanelHook::SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) {
  return Uapi("suspend_outgoing", FormEncode({{"email", account}}), "suspend_outbound", {}, steps);
}

Status CpanelHook::ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) {
  return Uapi("unsuspend_outgoing", FormEncode({{"email", account}}), "resume_outbound", {}, steps);
}

}  // namespace mxir::hooks
