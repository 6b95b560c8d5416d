#include "hooks/google_hook.h"

#include <nlohmann/json.hpp>

#include "core/secret_fingerprint.h"
#include "hooks/cloud_error.h"
#include "hooks/encoding.h"
#include "hooks/json_field.h"
#include "hooks/jwt.h"

namespace mxir::hooks {

Status ParseServiceAccountKey(const std::string& json_text, GoogleConfig& config) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(ErrorCode::kInvalidInput, "the service-account key file is not JSON");
  }
  for (const char* k : {"client_email", "private_key"}) {
    if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().empty()) {
      return MakeError(ErrorCode::kInvalidInput,
                       std::string("the service-account key file has no \"") + k + "\"");
    }
  }
  config.client_email = j["client_email"].get<std::string>();
  config.private_key_pem = j["private_key"].get<std::string>();
  config.private_key_id = JsonString(j, "private_key_id");
  if (j.contains("token_uri") && j["token_uri"].is_string())
    config.token_uri = j["token_uri"].get<std::string>();
  SecureWipe(j["private_key"].get_ref<std::string&>());
  return Status::Ok();
}

GoogleHook::~GoogleHook() {
  SecureWipe(config_.private_key_pem);
  SecureWipe(token_);
}

Status GoogleHook::EnsureToken() {
  if (!token_.empty()) return Status::Ok();
  int64_t now = clock_.Now().micros() / 1000000;
  nlohmann::ordered_json claims = {{"iss", config_.client_email},
                                   {"sub", config_.admin_subject},
                                   {"scope", kGoogleScopes},
                                   {"aud", config_.token_uri},
                                   {"iat", now},
                                   {"exp", now + 3600}};
  MXIR_ASSIGN_OR_RETURN(std::string jwt,
                        SignJwtRs256(claims, config_.private_key_pem, config_.private_key_id));
  HttpRequest req;
  req.method = "POST";
  req.url = config_.token_uri;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = FormEncode(
      {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", jwt}});
  int attempts = 0;
  auto resp = SendWithRetry(http_, req, true, config_.retry, &attempts);
  if (!resp.ok()) return resp.error().WithContext("google token");
  if (resp->status != 200) {
    return DescribeHttpFailure("google", "token (service-account JWT)", *resp, {jwt}, attempts);
  }
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string()) {
    return MakeError(ErrorCode::kUnavailable, "google token: the answer holds no access_token");
  }
  token_ = j["access_token"].get<std::string>();
  return Status::Ok();
}

Result<HttpResponse> GoogleHook::Call(const std::string& method, const std::string& path,
                                      std::string body, const std::string& operation,
                                      const std::vector<std::string>& secrets) {
  MXIR_RETURN_IF_ERROR(EnsureToken());
  HttpRequest req;
  req.method = method;
  req.url = config_.api_base + "/admin/directory/v1/users/" + path;
  req.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  if (method != "GET") req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(body);
  int attempts = 0;
  // Every call here sets a state or reads: repeating it has the same effect.
  auto resp = SendWithRetry(http_, req, true, config_.retry, &attempts);
  SecureWipe(req.body);
  SecureWipe(req.headers[0].second);
  if (!resp.ok()) return resp.error().WithContext("google " + operation);
  if (resp->status / 100 != 2)
    return DescribeHttpFailure("google", operation, *resp, secrets, attempts);
  return resp;
}

Status GoogleHook::ResetPassword(const std::string& account, const std::string& new_password,
                                 bool force_change, std::vector<HookStep>& steps) {
  std::string body = nlohmann::json{
      {"password", new_password},
      {"changePasswordAtNextLogin",
       force_change}}.dump();
  auto resp =
      Call("PATCH", PercentEncode(account), std::move(body), "reset password", {new_password});
  if (!resp.ok()) {
    steps.push_back({"set_password", false, resp.error().message});
    return resp.error();
  }
  forced_change_ = force_change;
  steps.push_back(
      {"set_password", true, "users.update (PATCH): HTTP " + std::to_string(resp->status)});
  steps.push_back({"force_change", true,
                   std::string("changePasswordAtNextLogin: ") + (force_change ? "true" : "false") +
                       " (does not apply to users signing in through SSO)"});
  return Status::Ok();
}

Status GoogleHook::RevokeSessions(const std::string& account, std::vector<HookStep>& steps) {
  auto resp = Call("POST", PercentEncode(account) + "/signOut", "", "sign out", {});
  if (!resp.ok()) {
    steps.push_back({"revoke_sessions", false, resp.error().message});
    return resp.error();
  }
  steps.push_back({"revoke_sessions", true, "users.signOut: HTTP " + std::to_string(resp->status)});
  return Status::Ok();
}

Result<std::string> GoogleHook::Verify(const std::string& account, const std::string&) {
  MXIR_ASSIGN_OR_RETURN(HttpResponse resp,
                        Call("GET", PercentEncode(account), "", "read user", {}));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(ErrorCode::kUnavailable, "google read user: the answer is not a JSON object");
  }
  bool flag = JsonBool(j, "changePasswordAtNextLogin");
  if (forced_change_ && !flag) {
    return MakeError(ErrorCode::kUnavailable,
                     "google: changePasswordAtNextLogin reads back false after the reset set it "
                     "(a user signing in through SSO?)");
  }
  return std::string("changePasswordAtNextLogin: ") + (flag ? "true" : "false");
}

Result<std::vector<Leftover>> GoogleHook::ListLeftovers(const std::string& account) {
  std::vector<Leftover> out;
  MXIR_ASSIGN_OR_RETURN(HttpResponse asps, Call("GET", PercentEncode(account) + "/asps", "",
                                                "list app passwords", {}));
  auto j = nlohmann::json::parse(asps.body, nullptr, false);
  if (!j.is_discarded() && j.contains("items") && j["items"].is_array()) {
    for (const auto& a : j["items"]) {
      if (!a.is_object()) continue;
      out.push_back({"app_password", "app password '" + JsonString(a, "name", "?") + "' (codeId " +
                                         (a.contains("codeId") ? a["codeId"].dump() : "?") +
                                         "): delete it with users.asps.delete"});
    }
  }
  MXIR_ASSIGN_OR_RETURN(HttpResponse tokens, Call("GET", PercentEncode(account) + "/tokens", "",
                                                  "list OAuth grants", {}));
  auto t = nlohmann::json::parse(tokens.body, nullptr, false);
  if (!t.is_discarded() && t.contains("items") && t["items"].is_array()) {
    for (const auto& a : t["items"]) {
      if (!a.is_object()) continue;
      out.push_back({"oauth_grant", "OAuth grant to '" + JsonString(a, "displayText", "?") +
                                        "' (clientId " + JsonString(a, "clientId", "?") + ")"});
    }
  }
  return out;
}

}  // namespace mxir::hooks
