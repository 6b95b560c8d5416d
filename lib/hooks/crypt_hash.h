// Password hashes in the crypt(3) family that Dovecot (and OpenLDAP's {CRYPT}) understand:
// SHA512-CRYPT ($6$) and BLF-CRYPT ($2y$, bcrypt), made with libcrypt's crypt_r and a salt drawn
// from OpenSSL's RNG; and checking a password against a stored hash in constant time. Thread-safe
// (crypt_r with per-call state).
#pragma once

#include <string>

#include "core/status.h"

namespace mxir::hooks {

enum class CryptScheme { kSha512Crypt, kBlfCrypt };

// "SHA512-CRYPT" or "BLF-CRYPT" (case-insensitive); kUsage otherwise.
Result<CryptScheme> ParseCryptScheme(const std::string& name);
const char* CryptSchemeName(CryptScheme s);

// "{SHA512-CRYPT}$6$salt$hash" (Dovecot's form, with the scheme prefix).
Result<std::string> HashPassword(const std::string& password, CryptScheme scheme);

// True when `password` matches `stored` ("{SCHEME}hash" or a bare crypt hash). kUsage for a
// scheme this check does not understand (e.g. {PLAIN}, {ARGON2ID}).
Result<bool> CheckPassword(const std::string& password, const std::string& stored);

}  // namespace mxir::hooks
