// ScrubSecrets: makes text captured from a hook (a command's output, an HTTP error body) safe to
// record: every occurrence of each secret, and of its percent-encoded, Base64 and JSON-escaped
// forms, becomes "[redacted]"; the result is cut to `max_bytes` so a chatty hook cannot flood the
// case. Secrets shorter than 4 bytes are ignored (they would redact ordinary text and are not
// passwords mxir makes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mxir::hooks {

std::string ScrubSecrets(std::string_view text, const std::vector<std::string>& secrets,
                         size_t max_bytes = 4096);

}  // namespace mxir::hooks
