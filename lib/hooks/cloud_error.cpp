#include "hooks/cloud_error.h"

#include <nlohmann/json.hpp>

#include "hooks/scrub.h"

namespace mxir::hooks {

std::string ProviderErrorText(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  std::string out;
  if (j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object()) {
      if (e.contains("code"))
        out += e["code"].is_string() ? e["code"].get<std::string>() : e["code"].dump();
      if (e.contains("message") && e["message"].is_string()) {
        out += (out.empty() ? "" : ": ") + e["message"].get<std::string>();
      }
    } else if (e.is_string()) {
      out = e.get<std::string>();
      if (j.contains("error_description") && j["error_description"].is_string()) {
        out += ": " + j["error_description"].get<std::string>();
      }
    }
  }
  if (j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (e.is_string()) out += (out.empty() ? "" : "; ") + e.get<std::string>();
    }
  }
  return out;
}

Error DescribeHttpFailure(const std::string& provider, const std::string& operation,
                          const HttpResponse& response, const std::vector<std::string>& secrets,
                          int attempts) {
  long s = response.status;
  ErrorCode code = ErrorCode::kUnavailable;
  std::string meaning;
  if (s == 400) {
    meaning = "the provider refused the request as malformed";
    code = ErrorCode::kInvalidInput;
  } else if (s == 401) {
    meaning =
        "the admin credentials were refused; check the client id/secret or key in the hooks file";
  } else if (s == 403) {
    meaning = "permission denied; the app or admin lacks the permission this operation needs";
  } else if (s == 404) {
    meaning = "no such account at the provider";
    code = ErrorCode::kNotFound;
  } else if (s == 429) {
    meaning =
        "throttled by the provider" +
        (response.retry_after_seconds
             ? "; it asked to retry after " + std::to_string(*response.retry_after_seconds) + " s"
             : std::string());
  } else if (s >= 500) {
    meaning = "the provider failed";
  } else {
    meaning = "unexpected answer";
  }
  std::string text = ScrubSecrets(ProviderErrorText(response.body), secrets, 300);
  std::string msg = provider + " " + operation + ": HTTP " + std::to_string(s) + ": " + meaning;
  if (!text.empty()) msg += " (" + text + ")";
  if (attempts > 1) msg += " after " + std::to_string(attempts) + " attempts";
  return MakeError(code, msg);
}

}  // namespace mxir::hooks
