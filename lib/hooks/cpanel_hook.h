// CpanelHook: mailboxes on a cPanel server through UAPI over HTTPS (port 2083), with an API
// token sent as "Authorization: cpanel USER:TOKEN". Reset is Email::passwd_pop (email, domain,
// password in a POST form body, never in the URL); containment is Email::suspend_outgoing /
// unsuspend_outgoing. A UAPI answer counts as done only with HTTP 200 and "status": 1; otherwise
// its "errors" are reported. cPanel has no must-change flag and no per-mailbox session kill.
// Verified against cPanel's documented contract with a local test server, not live.
#pragma once

#include <string>

#include "hooks/http_client.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct CpanelConfig {
  std::string base_url;  // https://host:2083
  std::string user;      // the cPanel account
  std::string token;     // from the secret reference
  RetryPolicy retry;
};

class CpanelHook final : public ProviderHook {
 public:
  CpanelHook(CpanelConfig config, HttpClient& http) : config_(std::move(config)), http_(http) {}
  ~CpanelHook() override;
  std::string name() const override { return "cpanel"; }
  unsigned capabilities() const override { return kSetPassword | kSuspendOutbound; }
  Status ResetPassword(const std::string& account, const std::string& new_password,
                       bool force_change, std::vector<HookStep>& steps) override;
  Status SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) override;

 private:
  Status Uapi(const std::string& function, const std::string& form, const std::string& step,
              const std::vector<std::string>& secrets, std::vector<HookStep>& steps);
  CpanelConfig config_;
  HttpClient& http_;
};

}  // namespace mxir::hooks
