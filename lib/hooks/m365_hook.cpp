#include "hooks/m365_hook.h"

#include <nlohmann/json.hpp>

#include "core/secret_fingerprint.h"
#include "hooks/cloud_error.h"
#include "hooks/encoding.h"
#include "hooks/json_field.h"

namespace mxir::hooks {

M365Hook::~M365Hook() {
  SecureWipe(config_.client_secret);
  SecureWipe(token_);
}

Status M365Hook::EnsureToken() {
  if (!token_.empty()) return Status::Ok();
  HttpRequest req;
  req.method = "POST";
  req.url = config_.login_base + "/" + PercentEncode(config_.tenant) + "/oauth2/v2.0/token";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = FormEncode({{"client_id", config_.client_id},
                         {"scope", "https://graph.microsoft.com/.default"},
                         {"client_secret", config_.client_secret},
                         {"grant_type", "client_credentials"}});
  int attempts = 0;
  auto resp = SendWithRetry(http_, req, /*idempotent=*/true, config_.retry, &attempts);
  SecureWipe(req.body);
  if (!resp.ok()) return resp.error().WithContext("m365 token");
  if (resp->status != 200) {
    return DescribeHttpFailure("m365", "token (client credentials)", *resp, {config_.client_secret},
                               attempts);
  }
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string() ||
      JsonString(j, "token_type") != "Bearer") {
    return MakeError(ErrorCode::kUnavailable,
                     "m365 token: the answer holds no Bearer access_token");
  }
  token_ = j["access_token"].get<std::string>();
  SecureWipe(resp->body);
  return Status::Ok();
}

Result<HttpResponse> M365Hook::Call(const std::string& method, const std::string& path,
                                    std::string body, bool idempotent, const std::string& operation,
                                    const std::vector<std::string>& secrets) {
  MXIR_RETURN_IF_ERROR(EnsureToken());
  HttpRequest req;
  req.method = method;
  req.url = config_.graph_base + path;
  req.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  if (method != "GET") req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(body);
  int attempts = 0;
  auto resp = SendWithRetry(http_, req, idempotent, config_.retry, &attempts);
  SecureWipe(req.body);
  SecureWipe(req.headers[0].second);
  if (!resp.ok()) return resp.error().WithContext("m365 " + operation);
  if (resp->status / 100 != 2) {
    return DescribeHttpFailure("m365", operation, *resp, secrets, attempts);
  }
  return resp;
}

Status M365Hook::ResetPassword(const std::string& account, const std::string& new_password,
                               bool force_change, std::vector<HookStep>& steps) {
  nlohmann::json body = {
      {"passwordProfile",
       {{"password", new_password}, {"forceChangePasswordNextSignIn", force_change}}}};
  std::string text = body.dump();
  body = nullptr;
  // Setting the same password twice has the same effect: safe to retry after a 5xx.
  auto resp = Call("PATCH", "/v1.0/users/" + PercentEncode(account), std::move(text), true,
                   "reset password", {new_password});
  if (!resp.ok()) {
    steps.push_back({"set_password", false, resp.error().message});
    return resp.error();
  }
  reset_at_ = clock_.Now();
  steps.push_back(
      {"set_password", true, "PATCH passwordProfile: HTTP " + std::to_string(resp->status)});
  steps.push_back(
      {"force_change", true,
       std::string("forceChangePasswordNextSignIn: ") + (force_change ? "true" : "false")});
  return Status::Ok();
}

Status M365Hook::RevokeSessions(const std::string& account, std::vector<HookStep>& steps) {
  auto resp = Call("POST", "/v1.0/users/" + PercentEncode(account) + "/revokeSignInSessions", "",
                   true, "revoke sign-in sessions", {});
  if (!resp.ok()) {
    steps.push_back({"revoke_sessions", false, resp.error().message});
    return resp.error();
  }
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded() || !JsonBool(j, "value")) {
    steps.push_back({"revoke_sessions", false, "answer did not hold {\"value\": true}"});
    return MakeError(ErrorCode::kUnavailable,
                     "m365 revoke sign-in sessions: Graph did not confirm");
  }
  steps.push_back(
      {"revoke_sessions", true,
       "revokeSignInSessions: value true (access tokens already issued stay valid up to ~1 h)"});
  return Status::Ok();
}

Result<std::string> M365Hook::Verify(const std::string& account, const std::string&) {
  MXIR_ASSIGN_OR_RETURN(
      HttpResponse resp,
      Call("GET",
           "/v1.0/users/" + PercentEncode(account) +
               "?$select=lastPasswordChangeDateTime,signInSessionsValidFromDateTime,accountEnabled",
           "", true, "read user", {}));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(ErrorCode::kUnavailable, "m365 read user: the answer is not a JSON object");
  }
  auto get = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string("unknown");
  };
  if (reset_at_) {
    auto changed = ParseTimestamp(get("lastPasswordChangeDateTime"));
    const int64_t kSkew = 5LL * 60 * 1000000;
    if (!changed.ok() || changed->micros() < reset_at_->micros() - kSkew) {
      return MakeError(ErrorCode::kUnavailable, "m365: Graph says the password last changed at " +
                                                    get("lastPasswordChangeDateTime") +
                                                    ", before this reset (" +
                                                    reset_at_->ToString() + ")");
    }
  }
  return "lastPasswordChangeDateTime " + get("lastPasswordChangeDateTime") +
         ", signInSessionsValidFromDateTime " + get("signInSessionsValidFromDateTime");
}

Result<std::vector<Leftover>> M365Hook::ListLeftovers(const std::string& account) {
  MXIR_ASSIGN_OR_RETURN(
      HttpResponse resp,
      Call("GET", "/v1.0/users/" + PercentEncode(account) + "/mailFolders/inbox/messageRules", "",
           true, "list inbox rules", {}));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  std::vector<Leftover> out;
  if (j.is_discarded() || !j.contains("value") || !j["value"].is_array()) {
    return MakeError(ErrorCode::kUnavailable,
                     "m365 list inbox rules: the answer has no \"value\" array");
  }
  for (const auto& rule : j["value"]) {
    if (!rule.is_object() || !rule.contains("actions") || !rule["actions"].is_object()) continue;
    const auto& a = rule["actions"];
    std::string name = JsonString(rule, "displayName", "(unnamed)");
    for (const char* k : {"forwardTo", "redirectTo", "forwardAsAttachmentTo"}) {
      if (!a.contains(k) || !a[k].is_array()) continue;
      for (const auto& r : a[k]) {
        std::string addr =
            r.is_object() && r.contains("emailAddress") && r["emailAddress"].is_object()
                ? JsonString(r["emailAddress"], "address", "?")
                : std::string("?");
        out.push_back({"inbox_rule", "rule '" + name + "' " + k + " " + addr});
      }
    }
    if (JsonBool(a, "delete") || JsonBool(a, "permanentDelete")) {
      out.push_back({"inbox_rule", "rule '" + name + "' deletes matching mail"});
    }
  }
  return out;
}

}  // namespace mxir::hooks
