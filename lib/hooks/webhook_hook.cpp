#include "hooks/webhook_hook.h"

#include <nlohmann/json.hpp>

#include "core/secret_fingerprint.h"
#include "hooks/cloud_error.h"
#include "hooks/encoding.h"

namespace mxir::hooks {

WebhookHook::~WebhookHook() { SecureWipe(config_.hmac_key); }

Status WebhookHook::Post(const std::string& action, const std::string& account,
                         const std::string& password, bool force_change,
                         std::vector<HookStep>& steps) {
  nlohmann::ordered_json body = {{"action", action},
                                 {"account", account},
                                 {"force_change", force_change},
                                 {"time", clock_.Now().ToString()}};
  if (!password.empty()) body["new_password"] = password;
  HttpRequest req;
  req.method = "POST";
  req.url = config_.url;
  req.body = body.dump();
  if (!password.empty()) SecureWipe(body["new_password"].get_ref<std::string&>());
  std::string ts = std::to_string(clock_.Now().micros() / 1000000);
  req.headers = {
      {"Content-Type", "application/json"},
      {"X-Mxir-Timestamp", ts},
      {"X-Mxir-Signature", "sha256=" + HmacSha256Hex(config_.hmac_key, ts + "." + req.body)}};
  int attempts = 0;
  auto resp = SendWithRetry(http_, req, /*idempotent=*/false, config_.retry, &attempts);
  SecureWipe(req.body);
  Error err;
  if (!resp.ok()) {
    err = resp.error().WithContext("webhook " + action +
                                   " (not retried: the receiver may have acted)");
  } else if (resp->status / 100 != 2) {
    err = DescribeHttpFailure("webhook", action, *resp, {password, config_.hmac_key}, attempts);
  } else {
    steps.push_back(
        {action, true, "POST " + config_.url + ": HTTP " + std::to_string(resp->status)});
    return Status::Ok();
  }
  steps.push_back({action, false, err.message});
  return err;
}

Status WebhookHook::ResetPassword(const std::string& account, const std::string& new_password,
                                  bool force_change, std::vector<HookStep>& steps) {
  return Post("reset_password", account, new_password, force_change, steps);
}
Status WebhookHook::RevokeSessions(const std::string& account, std::vector<HookStep>& steps) {
  return Post("revoke_sessions", account, "", false, steps);
}
Status WebhookHook::SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) {
  return Post("suspend_outbound", account, "", false, steps);
}
Status WebhookHook::ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) {
  return Post("resume_outbound", account, "", false, steps);
}

}  // namespace mxir::hooks
