// SignJwtRs256: a compact JWS (RFC 7515/7519) signed with RSASSA-PKCS1-v1_5 SHA-256 through
// OpenSSL, as Google's service-account token flow requires; and the service-account claim set
// (iss, sub, scope, aud, iat, exp = iat + 3600). The private key is a PEM text the caller read
// from a private file; it is parsed per call and freed at once.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mxir::hooks {

// header.payload.signature, each part base64url. `header` gets "alg":"RS256","typ":"JWT" (and
// "kid" when `key_id` is not empty).
Result<std::string> SignJwtRs256(const nlohmann::ordered_json& claims,
                                 const std::string& private_key_pem,
                                 const std::string& key_id = "");

// Checks a JWT's RS256 signature with a PEM public key and returns its claims (for tests and for
// the contract server; never used to trust a token from outside).
Result<nlohmann::json> VerifyJwtRs256(const std::string& jwt, const std::string& public_key_pem,
                                      nlohmann::json* header = nullptr);

}  // namespace mxir::hooks
