// WebhookHook: hands each action to the site's own HTTPS endpoint. Every request is a POST of a
// JSON body {"action", "account", "force_change", "time", and for a reset "new_password"} with
// the headers X-Mxir-Timestamp and X-Mxir-Signature: sha256=HEX, where HEX is
// HMAC-SHA256(key, TIMESTAMP + "." + BODY) with the key from the hooks file's secret reference,
// so the receiver can reject forged or replayed calls. A 2xx answer means done. The receiver's
// side effects are unknown, so a 5xx or a timeout is never retried (a 429 is: the receiver said
// it did nothing). Which actions the receiver handles is set by `actions` in the hooks file.
#pragma once

#include <string>

#include "core/clock.h"
#include "hooks/http_client.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct WebhookConfig {
  std::string url;
  std::string hmac_key;  // from the secret reference
  unsigned capabilities = kSetPassword;
  RetryPolicy retry;
};

class WebhookHook final : public ProviderHook {
 public:
  WebhookHook(WebhookConfig config, HttpClient& http, const Clock& clock)
      : config_(std::move(config)), http_(http), clock_(clock) {}
  ~WebhookHook() override;
  std::string name() const override { return "webhook"; }
  unsigned capabilities() const override { return config_.capabilities; }
  Status ResetPassword(const std::string& account, const std::string& new_password,
                       bool force_change, std::vector<HookStep>& steps) override;
  Status RevokeSessions(const std::string& account, std::vector<HookStep>& steps) override;
  Status SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) override;

 private:
  Status Post(const std::string& action, const std::string& account, const std::string& password,
              bool force_change, std::vector<HookStep>& steps);
  WebhookConfig config_;
  HttpClient& http_;
  const Clock& clock_;
};

}  // namespace mxir::hooks
