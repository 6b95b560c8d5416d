// HttpClient: the HTTPS requests of the cloud provider hooks (Graph, Google Admin SDK, cPanel
// UAPI, webhooks), behind an interface so tests can fake it. CurlHttpClient is the real one over
// libcurl: TLS peer and host verification always on (a private CA file may be given, for tests or
// an internal CA), timeouts on connect and on the whole request, no redirects followed, no
// proxy (HTTPS_PROXY and the like in the environment are ignored), never verbose (bodies hold
// passwords).
//
// SendWithRetry adds the one retry policy of mxir: a 429 answer is retried after its Retry-After
// (bounded); 5xx answers and transport failures are retried only for requests the caller marks
// idempotent, with a short backoff. Everything else is returned as it came.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mxir::hooks {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PATCH, PUT, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::optional<int> retry_after_seconds;  // from a Retry-After header given in seconds
  std::string next_page_uri;  // a NextPageUri header (Office 365 Management Activity API paging)
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // An error (kUnavailable) only when no HTTP answer came: refused, timeout, TLS failure.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct HttpOptions {
  std::string ca_file;  // empty: the system's CA store
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{20000};
};

std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpOptions& options);

struct RetryPolicy {
  int max_attempts = 3;
  int max_retry_after_seconds = 60;  // a longer Retry-After is reported, not waited for
  std::chrono::milliseconds backoff{500};
  // How to wait (tests replace it to run instantly and to see the delays asked for).
  std::function<void(std::chrono::milliseconds)> sleep;
};

// The number of attempts made is stored in `*attempts` when given.
Result<HttpResponse> SendWithRetry(HttpClient& client, const HttpRequest& request, bool idempotent,
                                   const RetryPolicy& policy, int* attempts = nullptr);

// Parses a Retry-After value given in seconds ("120"); nullopt for an HTTP date or garbage.
std::optional<int> ParseRetryAfter(std::string_view value);

}  // namespace mxir::hooks
