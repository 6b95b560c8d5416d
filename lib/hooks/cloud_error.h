// DescribeHttpFailure: one clear error for an unsuccessful provider answer, the same way for
// every cloud hook. It names the provider and the operation, the HTTP status and what it means
// for a reset (401: the admin credentials were refused; 403: the app lacks a permission; 404: no
// such account; 429: throttled, with Retry-After; 5xx: the provider failed), and the provider's
// own error text from the JSON body (Graph and Google "error.message", OAuth
// "error_description", cPanel "errors"), scrubbed of the given secrets and cut short.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "hooks/http_client.h"

namespace mxir::hooks {

Error DescribeHttpFailure(const std::string& provider, const std::string& operation,
                          const HttpResponse& response, const std::vector<std::string>& secrets,
                          int attempts = 1);

// The provider's error text from a JSON error body (empty when there is none).
std::string ProviderErrorText(const std::string& body);

}  // namespace mxir::hooks
