#include "hooks/http_client.h"

#include <cctype>
#include <mutex>
#include <thread>

#include <curl/curl.h>

namespace mxir::hooks {
namespace {

std::once_flag g_curl_init;

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  constexpr size_t kMaxBody = 4 * 1024 * 1024;
  if (body->size() + size * n > kMaxBody)
    return 0;  // aborts the transfer: an answer this big is wrong
  body->append(data, size * n);
  return size * n;
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "retry-after") resp->retry_after_seconds = ParseRetryAfter(value);
    if (name == "nextpageuri") resp->next_page_uri.assign(value);
  }
  return size * n;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpOptions options) : options_(std::move(options)) {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    CURL* curl = curl_easy_init();
    if (curl == nullptr)
      return MakeError(ErrorCode::kInternal, "libcurl could not start a request");
    HttpResponse resp;
    std::string body;
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : request.headers) {
      std::string h = k + ": " + v;
      headers = curl_slist_append(headers, h.c_str());
      std::fill(h.begin(), h.end(), '\0');
    }
    headers = curl_slist_append(headers, "Expect:");
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    // No proxy from HTTPS_PROXY / ALL_PROXY / http_proxy: "" disables libcurl's environment
    // lookup, NOPROXY "*" makes sure no host goes through one.
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ReadHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "mxir-reset");
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    char* ctype = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype);
    if (ctype != nullptr) resp.content_type = ctype;
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
      std::string why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      std::string host = request.url.substr(0, request.url.find('/', request.url.find("//") + 2));
      return MakeError(ErrorCode::kUnavailable,
                       request.method + " " + host + ": no answer (" + why + ")");
    }
    resp.status = status;
    resp.body = std::move(body);
    return resp;
  }

 private:
  HttpOptions options_;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

std::optional<int> ParseRetryAfter(std::string_view value) {
  if (value.empty() || value.size() > 9) return std::nullopt;
  int n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

Result<HttpResponse> SendWithRetry(HttpClient& client, const HttpRequest& request, bool idempotent,
                                   const RetryPolicy& policy, int* attempts) {
  auto sleep = policy.sleep ? policy.sleep
                            : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  int attempt = 0;
  for (;;) {
    ++attempt;
    if (attempts != nullptr) *attempts = attempt;
    auto resp = client.Send(request);
    bool last = attempt >= policy.max_attempts;
    if (!resp.ok()) {
      // No answer: the request may or may not have been acted on.
      if (!idempotent || last) return resp;
      sleep(policy.backoff * attempt);
      continue;
    }
    if (resp->status == 429) {
      // The server says it did not act on the request: waiting and retrying is always safe.
      int wait = resp->retry_after_seconds.value_or(1);
      if (last || wait > policy.max_retry_after_seconds) return resp;
      sleep(std::chrono::seconds(wait));
      continue;
    }
    if (resp->status >= 500 && resp->status <= 599 && idempotent && !last) {
      sleep(policy.backoff * attempt);
      continue;
    }
    return resp;
  }
}

}  // namespace mxir::hooks
