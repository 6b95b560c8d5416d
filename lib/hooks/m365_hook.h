// M365Hook: Microsoft 365 / Entra ID accounts through Microsoft Graph v1.0, app-only.
//  - token: OAuth2 client credentials (POST {login}/{tenant}/oauth2/v2.0/token, form body with
//    client_id, client_secret, scope=https://graph.microsoft.com/.default, grant_type), cached
//    for the hook's life;
//  - reset: PATCH /v1.0/users/{upn} {"passwordProfile":{"password":..,
//    "forceChangePasswordNextSignIn":true}} -> 204;
//  - sessions: POST /v1.0/users/{upn}/revokeSignInSessions -> 200 {"value":true};
//  - verify: GET /v1.0/users/{upn}?$select=lastPasswordChangeDateTime,
//    signInSessionsValidFromDateTime,accountEnabled; after a reset by this hook,
//    lastPasswordChangeDateTime must not be older than the reset (5 minutes' clock skew allowed);
//  - leftovers: inbox rules that forward, redirect or delete (GET
//    /v1.0/users/{upn}/mailFolders/inbox/messageRules).
// Verified against Microsoft's documented contract with a local test server, not live.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "hooks/http_client.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct M365Config {
  std::string tenant;
  std::string client_id;
  std::string client_secret;  // from the secret reference
  std::string login_base = "https://login.microsoftonline.com";
  std::string graph_base = "https://graph.microsoft.com";
  RetryPolicy retry;
};

class M365Hook final : public ProviderHook {
 public:
  M365Hook(M365Config config, HttpClient& http, const Clock& clock)
      : config_(std::move(config)), http_(http), clock_(clock) {}
  ~M365Hook() override;
  std::string name() const override { return "m365"; }
  unsigned capabilities() const override {
    return kSetPassword | kForceChange | kRevokeSessions | kVerify | kLeftovers;
  }
  Status ResetPassword(const std::string& account, const std::string& new_password,
                       bool force_change, std::vector<HookStep>& steps) override;
  Status RevokeSessions(const std::string& account, std::vector<HookStep>& steps) override;
  Result<std::string> Verify(const std::string& account, const std::string& new_password) override;
  Result<std::vector<Leftover>> ListLeftovers(const std::string& account) override;

 private:
  Status EnsureToken();
  Result<HttpResponse> Call(const std::string& method, const std::string& path, std::string body,
                            bool idempotent, const std::string& operation,
                            const std::vector<std::string>& secrets);
  M365Config config_;
  HttpClient& http_;
  const Clock& clock_;
  std::string token_;
  std::optional<Timestamp> reset_at_;  // when this hook set the password
};

}  // namespace mxir::hooks
