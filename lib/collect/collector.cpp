#include "collect/collector.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/secret_fingerprint.h"
#include "hooks/cloud_error.h"
#include "hooks/encoding.h"
#include "hooks/google_hook.h"
#include "hooks/jwt.h"
#include "hooks/secret_ref.h"

namespace mxir::collect {

using hooks::HttpClient;
using hooks::HttpRequest;
using hooks::HttpResponse;

namespace {

constexpr int kMaxPages = 1000000;  // a loop guard: 10^9 records at 1000 per page
constexpr const char* kGoogleReportsScope =
    "https://www.googleapis.com/auth/admin.reports.audit.readonly";

std::string IsoSeconds(Timestamp t) {
  std::string s = Timestamp::FromSeconds(t.seconds()).ToString();  // ...T01:02:03.000000Z
  return s.substr(0, 19) + "Z";
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Graph's answer when the tenant lacks the licence the sign-in log API needs.
bool IsLicenceError(const HttpResponse& r) {
  if (r.status != 403) return false;
  return r.body.find("NonPremium") != std::string::npos ||
         r.body.find("premium") != std::string::npos ||
         r.body.find("Premium") != std::string::npos ||
         r.body.find("license") != std::string::npos || r.body.find("SKU") != std::string::npos;
}

struct Session {
  HttpClient& http;
  hooks::RetryPolicy retry;
  CollectStats* stats;
  std::string provider;
  std::vector<std::string> secrets;  // scrubbed from every error text
  long last_status = 0;
  bool last_licence_error = false;

  Result<HttpResponse> Send(const HttpRequest& req, const std::string& operation) {
    int attempts = 0;
    auto resp = hooks::SendWithRetry(http, req, /*idempotent=*/true, retry, &attempts);
    if (stats != nullptr && attempts > 1) stats->retries += attempts - 1;
    if (!resp.ok()) return resp.error().WithContext(provider + " " + operation);
    last_status = resp->status;
    last_licence_error = IsLicenceError(*resp);
    if (resp->status != 200) {
      if (resp->status == 429) {
        return MakeError(ErrorCode::kUnavailable,
                         provider + " " + operation + ": still throttled (HTTP 429) after " +
                             std::to_string(attempts) +
                             " attempts; run again later with --since to continue where the "
                             "case ends");
      }
      return hooks::DescribeHttpFailure(provider, operation, *resp, secrets, attempts);
    }
    return resp;
  }
};

Result<std::string> M365Token(Session& s, const IniFile::Section& sec, const std::string& login,
                              const std::string& scope) {
  auto get = [&](const char* k) -> std::string {
    auto it = sec.find(k);
    return it == sec.end() ? "" : it->second;
  };
  std::string tenant = get("tenant"), client_id = get("client_id");
  if (tenant.empty() || client_id.empty()) {
    return MakeError(ErrorCode::kUsage, "[m365] needs tenant and client_id in the hooks file");
  }
  MXIR_ASSIGN_OR_RETURN(std::string secret, hooks::ReadSecretRef(sec, "m365"));
  s.secrets.push_back(secret);
  HttpRequest req;
  req.method = "POST";
  req.url = login + "/" + hooks::PercentEncode(tenant) + "/oauth2/v2.0/token";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = hooks::FormEncode({{"client_id", client_id},
                                {"scope", scope},
                                {"client_secret", secret},
                                {"grant_type", "client_credentials"}});
  auto resp = s.Send(req, "token (client credentials)");
  SecureWipe(req.body.data(), req.body.size());
  SecureWipe(secret.data(), secret.size());
  if (!resp.ok()) return resp.error();
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string()) {
    return MakeError(ErrorCode::kUnavailable, "m365 token: the answer holds no access_token");
  }
  std::string token = j["access_token"].get<std::string>();
  s.secrets.push_back(token);
  return token;
}

Result<std::string> GoogleToken(Session& s, const IniFile::Section& sec, const Clock& clock,
                                const std::string& token_uri_override) {
  auto get = [&](const char* k) -> std::string {
    auto it = sec.find(k);
    return it == sec.end() ? "" : it->second;
  };
  std::string key_path = get("service_account_file"), subject = get("admin_subject");
  if (key_path.empty() || subject.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "[google] needs service_account_file and admin_subject in the hooks file");
  }
  MXIR_ASSIGN_OR_RETURN(std::string key_text,
                        hooks::ReadPrivateFile(key_path, "service account key file"));
  hooks::GoogleConfig c;
  Status parsed = hooks::ParseServiceAccountKey(key_text, c);
  SecureWipe(key_text.data(), key_text.size());
  MXIR_RETURN_IF_ERROR(parsed);
  std::string token_uri = !token_uri_override.empty()
                              ? token_uri_override
                              : (get("token_uri").empty() ? c.token_uri : get("token_uri"));
  int64_t now = clock.Now().seconds();
  nlohmann::ordered_json claims = {
      {"iss", c.client_email}, {"sub", subject}, {"scope", kGoogleReportsScope},
      {"aud", token_uri},      {"iat", now},     {"exp", now + 3600}};
  auto jwt = hooks::SignJwtRs256(claims, c.private_key_pem, c.private_key_id);
  SecureWipe(c.private_key_pem.data(), c.private_key_pem.size());
  if (!jwt.ok()) return jwt.error();
  s.secrets.push_back(*jwt);
  HttpRequest req;
  req.method = "POST";
  req.url = token_uri;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = hooks::FormEncode(
      {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", *jwt}});
  MXIR_ASSIGN_OR_RETURN(HttpResponse resp, s.Send(req, "token (service-account JWT)"));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string()) {
    return MakeError(ErrorCode::kUnavailable, "google token: the answer holds no access_token");
  }
  std::string token = j["access_token"].get<std::string>();
  s.secrets.push_back(token);
  return token;
}

Status PullGraph(Session& s, const std::string& graph, const std::string& token,
                 const std::string& source, const std::string& path, const std::string& time_field,
                 const CollectRequest& rq, Timestamp until,
                 const std::function<Status(CollectedPage&)>& on_page,
                 const std::function<void(const std::string&)>& progress) {
  std::string filter = time_field + " ge " + IsoSeconds(rq.since) + " and " + time_field + " lt " +
                       IsoSeconds(until);
  std::string url = graph + path + "?$filter=" + hooks::PercentEncode(filter) +
                    "&$top=" + std::to_string(rq.page_size);
  int64_t records = 0;
  for (int page = 1; page <= kMaxPages && !url.empty(); ++page) {
    HttpRequest req;
    req.url = url;
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    auto sent = s.Send(req, source + " page " + std::to_string(page));
    if (!sent.ok() && source == "signins" && s.last_status == 403 && s.last_licence_error) {
      return MakeError(
          ErrorCode::kUnavailable,
          "m365 signins: Microsoft Graph refused the sign-in log (HTTP 403): reading sign-ins "
          "through the API needs a Microsoft Entra ID P1 or P2 licence in the tenant. Without "
          "one, download the log in the Entra admin center (Monitoring & health > Sign-in logs "
          "> Download, JSON; last 7 days) and read it with `mxir ingest FILE`; or collect "
          "--source trace");
    }
    if (!sent.ok()) return sent.error();
    HttpResponse& resp = *sent;
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("value") || !j["value"].is_array()) {
      return MakeError(ErrorCode::kUnavailable, "m365 " + source + " page " + std::to_string(page) +
                                                    ": the answer is not a Graph page "
                                                    "({\"value\":[...]})");
    }
    records += static_cast<int64_t>(j["value"].size());
    std::string next;
    if (j.contains("@odata.nextLink") && j["@odata.nextLink"].is_string()) {
      next = j["@odata.nextLink"].get<std::string>();
      if (!StartsWith(next, graph + "/")) {
        return MakeError(ErrorCode::kUnavailable,
                         "m365 " + source + ": the next-page link leaves " + graph + "; refused");
      }
    }
    CollectedPage p{source, FormatOfSource(source), "graph:" + path.substr(path.find('/', 1) + 1),
                    page, std::move(resp.body)};
    MXIR_RETURN_IF_ERROR(on_page(p));
    if (s.stats != nullptr) ++s.stats->pages;
    if (progress) {
      progress("m365 " + source + ": page " + std::to_string(page) + ", " +
               std::to_string(records) + " records" + (next.empty() ? " (done)" : ""));
    }
    url = next;
  }
  return Status::Ok();
}

Status PullGoogle(Session& s, const std::string& api, const std::string& token,
                  const CollectRequest& rq, Timestamp until,
                  const std::function<Status(CollectedPage&)>& on_page,
                  const std::function<void(const std::string&)>& progress) {
  std::string base = api + "/admin/reports/v1/activity/users/all/applications/login?startTime=" +
                     hooks::PercentEncode(IsoSeconds(rq.since)) +
                     "&endTime=" + hooks::PercentEncode(IsoSeconds(until)) +
                     "&maxResults=" + std::to_string(std::min(rq.page_size, 1000));
  std::string page_token;
  int64_t records = 0;
  for (int page = 1; page <= kMaxPages; ++page) {
    HttpRequest req;
    req.url = base + (page_token.empty() ? "" : "&pageToken=" + hooks::PercentEncode(page_token));
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    MXIR_ASSIGN_OR_RETURN(HttpResponse resp, s.Send(req, "login page " + std::to_string(page)));
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return MakeError(ErrorCode::kUnavailable,
                       "google login page " + std::to_string(page) + ": the answer is not JSON");
    }
    if (j.contains("items") && j["items"].is_array()) records += j["items"].size();
    page_token.clear();
    if (j.contains("nextPageToken") && j["nextPageToken"].is_string()) {
      page_token = j["nextPageToken"].get<std::string>();
    }
    CollectedPage p{"login", "google-login", "google:reports/login", page, std::move(resp.body)};
    MXIR_RETURN_IF_ERROR(on_page(p));
    if (s.stats != nullptr) ++s.stats->pages;
    if (progress) {
      progress("google login: page " + std::to_string(page) + ", " + std::to_string(records) +
               " records" + (page_token.empty() ? " (done)" : ""));
    }
    if (page_token.empty()) break;
  }
  return Status::Ok();
}

// The Unified Audit Log through the Office 365 Management Activity API: per content type, start
// the subscription (already enabled is fine), list the content blobs created in each window of at
// most 24 hours (the API's limit), following the NextPageUri header, and read each blob (a JSON
// array of audit records, format m365-audit). Every link must stay under the API's base.
Status PullAudit(Session& s, const std::string& manage, const std::string& tenant,
                 const std::string& token, const CollectRequest& rq, Timestamp until,
                 const std::function<Status(CollectedPage&)>& on_page,
                 const std::function<void(const std::string&)>& progress) {
  const std::string feed = manage + "/api/v1.0/" + hooks::PercentEncode(tenant) + "/activity/feed";
  // The API's own time form: UTC, no zone letter.
  auto api_time = [](Timestamp t) { return IsoSeconds(t).substr(0, 19); };
  int blob_number = 0;
  for (const char* type : {"Audit.AzureActiveDirectory", "Audit.Exchange"}) {
    const std::string what = std::string("audit ") + type;
    HttpRequest start;
    start.method = "POST";
    start.url = feed + "/subscriptions/start?contentType=" + type;
    start.headers = {{"Authorization", "Bearer " + token},
                     {"Accept", "application/json"},
                     {"Content-Type", "application/json"}};
    int attempts = 0;
    auto started = hooks::SendWithRetry(s.http, start, /*idempotent=*/true, s.retry, &attempts);
    if (s.stats != nullptr && attempts > 1) s.stats->retries += attempts - 1;
    if (!started.ok()) return started.error().WithContext("m365 " + what + " subscription");
    const bool already =
        started->status == 400 && started->body.find("AF20024") != std::string::npos;
    if (started->status != 200 && !already) {
      return hooks::DescribeHttpFailure("m365",
                                        what +
                                            " subscription (needs the ActivityFeed.Read "
                                            "permission of the Office 365 Management APIs)",
                                        *started, s.secrets, attempts);
    }
    int64_t blobs = 0, records = 0;
    for (Timestamp w0 = rq.since; w0 < until;) {
      Timestamp w1 =
          Timestamp::FromMicros(std::min(until.micros(), w0.micros() + int64_t{86400} * 1000000));
      std::string url = feed + "/subscriptions/content?contentType=" + type +
                        "&startTime=" + hooks::PercentEncode(api_time(w0)) +
                        "&endTime=" + hooks::PercentEncode(api_time(w1));
      for (int page = 1; page <= kMaxPages && !url.empty(); ++page) {
        HttpRequest req;
        req.url = url;
        req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
        MXIR_ASSIGN_OR_RETURN(HttpResponse list,
                              s.Send(req, what + " content list page " + std::to_string(page)));
        auto j = nlohmann::json::parse(list.body, nullptr, false);
        if (j.is_discarded() || !j.is_array()) {
          return MakeError(ErrorCode::kUnavailable,
                           "m365 " + what + ": the content list is not a JSON array");
        }
        std::string next = list.next_page_uri;
        if (!next.empty() && !StartsWith(next, manage + "/")) {
          return MakeError(ErrorCode::kUnavailable,
                           "m365 " + what + ": the next-page link leaves " + manage + "; refused");
        }
        for (const auto& blob : j) {
          if (!blob.is_object() || !blob.contains("contentUri") || !blob["contentUri"].is_string())
            continue;
          std::string uri = blob["contentUri"].get<std::string>();
          if (!StartsWith(uri, manage + "/")) {
            return MakeError(ErrorCode::kUnavailable,
                             "m365 " + what + ": a content link leaves " + manage + "; refused");
          }
          HttpRequest get;
          get.url = uri;
          get.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
          MXIR_ASSIGN_OR_RETURN(HttpResponse content,
                                s.Send(get, what + " content " + std::to_string(blobs + 1)));
          auto records_json = nlohmann::json::parse(content.body, nullptr, false);
          if (records_json.is_array()) records += static_cast<int64_t>(records_json.size());
          CollectedPage p{"audit", "m365-audit", "manage:activity/feed/" + std::string(type),
                          ++blob_number, std::move(content.body)};
          MXIR_RETURN_IF_ERROR(on_page(p));
          ++blobs;
          if (s.stats != nullptr) ++s.stats->pages;
        }
        url = next;
      }
      w0 = w1;
    }
    if (progress) {
      progress("m365 audit: " + std::string(type) + ": " + std::to_string(blobs) + " blobs, " +
               std::to_string(records) + " records (done)" +
               (already ? "" : "; subscription started"));
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultSources(const std::string& provider) {
  if (provider == "m365") return {"signins"};
  if (provider == "google") return {"login"};
  return {};
}

std::vector<std::string> KnownSources(const std::string& provider) {
  if (provider == "m365") return {"signins", "trace", "audit"};
  if (provider == "google") return {"login"};
  return {};
}

std::string FormatOfSource(const std::string& source) {
  if (source == "signins") return "entra-signin";
  if (source == "trace") return "m365-trace";
  if (source == "audit") return "m365-audit";
  if (source == "login") return "google-login";
  return "";
}

Status Collect(const IniFile& hooks_file, const CollectRequest& rq, const Clock& clock,
               HttpClient* http, const std::function<Status(CollectedPage&)>& on_page,
               const std::function<void(const std::string&)>& progress, CollectStats* stats) {
  if (rq.provider != "m365" && rq.provider != "google") {
    return MakeError(ErrorCode::kUsage,
                     "unknown provider '" + rq.provider + "': use m365 or google");
  }
  const IniFile::Section* sec = hooks_file.Find(rq.provider);
  if (sec == nullptr) {
    return MakeError(ErrorCode::kUsage, "the hooks file has no [" + rq.provider +
                                            "] section (see docs/mxir-collect.md)");
  }
  std::vector<std::string> sources = rq.sources.empty() ? DefaultSources(rq.provider) : rq.sources;
  for (const auto& src : sources) {
    auto known = KnownSources(rq.provider);
    if (std::find(known.begin(), known.end(), src) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return MakeError(ErrorCode::kUsage,
                       "unknown source '" + src + "' for " + rq.provider + ": use " + list);
    }
  }
  Timestamp until = rq.until.value_or(clock.Now());
  if (!(rq.since < until)) {
    return MakeError(ErrorCode::kUsage, "--since must be before --until (or now)");
  }
  if (rq.page_size < 1 || rq.page_size > 5000) {
    return MakeError(ErrorCode::kUsage, "--page-size must be between 1 and 5000");
  }
  std::unique_ptr<HttpClient> owned;
  if (http == nullptr) {
    hooks::HttpOptions opts;
    auto ca = sec->find("ca_file");
    if (ca != sec->end()) opts.ca_file = ca->second;
    owned = hooks::MakeCurlHttpClient(opts);
    http = owned.get();
  }
  Session s{*http, {}, stats, rq.provider, {}};
  s.retry.max_attempts = rq.max_attempts;
  s.retry.max_retry_after_seconds = rq.max_retry_after_seconds;
  s.retry.sleep = rq.sleep;
  auto opt = [&](const char* k, const std::string& fallback) {
    auto it = sec->find(k);
    return it == sec->end() || it->second.empty() ? fallback : it->second;
  };
  std::string endpoint = TrimSlash(rq.endpoint);
  if (rq.provider == "m365") {
    std::string login = endpoint.empty()
                            ? TrimSlash(opt("login_base", "https://login.microsoftonline.com"))
                            : endpoint;
    std::string graph =
        endpoint.empty() ? TrimSlash(opt("graph_base", "https://graph.microsoft.com")) : endpoint;
    std::string manage =
        endpoint.empty() ? TrimSlash(opt("manage_base", "https://manage.office.com")) : endpoint;
    // One token per API: Graph for sign-ins and trace, the Management API for the audit log.
    std::string token;
    for (const auto& src : sources) {
      const bool audit = src == "audit";
      SecureWipe(token.data(), token.size());
      MXIR_ASSIGN_OR_RETURN(token, M365Token(s, *sec, login,
                                             audit ? "https://manage.office.com/.default"
                                                   : "https://graph.microsoft.com/.default"));
      Status st =
          audit ? PullAudit(s, manage, opt("tenant", ""), token, rq, until, on_page, progress)
          : src == "signins"
              ? PullGraph(s, graph, token, src, "/v1.0/auditLogs/signIns", "createdDateTime", rq,
                          until, on_page, progress)
              : PullGraph(s, graph, token, src, "/beta/admin/exchange/tracing/messageTraces",
                          "receivedDateTime", rq, until, on_page, progress);
      if (!st.ok()) {
        SecureWipe(token.data(), token.size());
        return st;
      }
    }
    SecureWipe(token.data(), token.size());
    return Status::Ok();
  }
  std::string api =
      endpoint.empty() ? TrimSlash(opt("api_base", "https://admin.googleapis.com")) : endpoint;
  MXIR_ASSIGN_OR_RETURN(std::string token,
                        GoogleToken(s, *sec, clock, endpoint.empty() ? "" : endpoint + "/token"));
  Status st = PullGoogle(s, api, token, rq, until, on_page, progress);
  SecureWipe(token.data(), token.size());
  return st;
}

}  // namespace mxir::collect
