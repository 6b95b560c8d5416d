// Small encodings the provider hooks need on the wire: Base64 (SMTP AUTH PLAIN), Base64url
// without padding (JWT), percent-encoding (form bodies, URL path segments) and HMAC-SHA256 (webhook
// signatures). All are pure functions over OpenSSL; none keeps a copy of its input.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir::hooks {

std::string Base64Encode(std::string_view data);
// Strict decoding (padding required, no whitespace); an error for anything else.
Result<std::string> Base64Decode(std::string_view text);
// RFC 4648 section 5 alphabet, no '=' padding (RFC 7515 "base64url").
std::string Base64UrlEncode(std::string_view data);
Result<std::string> Base64UrlDecode(std::string_view text);
// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view text);
// application/x-www-form-urlencoded body from key/value pairs (values percent-encoded).
std::string FormEncode(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
// Lowercase hex of HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace mxir::hooks
