// GoogleHook: Google Workspace accounts through the Admin SDK Directory API, with a service
// account and domain-wide delegation.
//  - token: a JWT {iss: client_email, sub: admin_subject, scope, aud: token_uri, iat, exp=iat+3600}
//    signed RS256 with the key file's private_key (OpenSSL), POSTed to token_uri as
//    grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT;
//  - reset: PATCH /admin/directory/v1/users/{userKey} {"password":..,
//    "changePasswordAtNextLogin":true};
//  - sessions: POST /admin/directory/v1/users/{userKey}/signOut;
//  - verify: GET /admin/directory/v1/users/{userKey}: after a forced reset by this hook,
//    changePasswordAtNextLogin must read back true;
//  - leftovers: app-specific passwords (users/{userKey}/asps) and OAuth grants (…/tokens).
// Verified against Google's documented contract with a local test server, not live.
#pragma once

#include <string>

#include "core/clock.h"
#include "hooks/http_client.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct GoogleConfig {
  std::string client_email;
  std::string private_key_pem;  // from the service-account JSON key file; wiped with the hook
  std::string private_key_id;
  std::string token_uri = "https://oauth2.googleapis.com/token";
  std::string admin_subject;  // the admin the service account acts as (JWT "sub")
  std::string api_base = "https://admin.googleapis.com";
  RetryPolicy retry;
};

// Fills client_email, private_key_pem, private_key_id and token_uri from a service-account key
// file's JSON text.
Status ParseServiceAccountKey(const std::string& json_text, GoogleConfig& config);

inline constexpr const char* kGoogleScopes =
    "https://www.googleapis.com/auth/admin.directory.user "
    "https://www.googleapis.com/auth/admin.directory.user.security";

class GoogleHook final : public ProviderHook {
 public:
  GoogleHook(GoogleConfig config, HttpClient& http, const Clock& clock)
      : config_(std::move(config)), http_(http), clock_(clock) {}
  ~GoogleHook() override;
  std::string name() const override { return "google"; }
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
                            const std::string& operation, const std::vector<std::string>& secrets);
  GoogleConfig config_;
  HttpClient& http_;
  const Clock& clock_;
  std::string token_;
  bool forced_change_ = false;  // this hook set changePasswordAtNextLogin
};

}  // namespace mxir::hooks
