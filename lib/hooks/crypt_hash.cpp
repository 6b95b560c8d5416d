#include "hooks/crypt_hash.h"

#include <algorithm>
#include <memory>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/ascii.h"
#include "core/secret_fingerprint.h"

namespace mxir::hooks {

Result<CryptScheme> ParseCryptScheme(const std::string& name) {
  std::string n = AsciiUpper(name);
  if (n == "SHA512-CRYPT") return CryptScheme::kSha512Crypt;
  if (n == "BLF-CRYPT") return CryptScheme::kBlfCrypt;
  return MakeError(ErrorCode::kUsage,
                   "unknown password scheme '" + name + "' (use SHA512-CRYPT or BLF-CRYPT)");
}

const char* CryptSchemeName(CryptScheme s) {
  return s == CryptScheme::kSha512Crypt ? "SHA512-CRYPT" : "BLF-CRYPT";
}

Result<std::string> HashPassword(const std::string& password, CryptScheme scheme) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL's random generator failed");
  }
  const char* prefix = scheme == CryptScheme::kSha512Crypt ? "$6$" : "$2y$";
  unsigned long count = scheme == CryptScheme::kSha512Crypt ? 0 : 10;  // 0: libcrypt's default
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, count, reinterpret_cast<const char*>(random), sizeof random, setting,
                       sizeof setting) == nullptr) {
    return MakeError(ErrorCode::kInternal,
                     std::string("libcrypt cannot make a ") + CryptSchemeName(scheme) + " salt");
  }
  SecureWipe(random, sizeof random);
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), setting, data.get());
  if (hash == nullptr || hash[0] == '*') {
    return MakeError(ErrorCode::kInternal,
                     std::string("libcrypt failed to hash with ") + CryptSchemeName(scheme));
  }
  std::string out = std::string("{") + CryptSchemeName(scheme) + "}" + hash;
  SecureWipe(data.get(), sizeof(crypt_data));
  return out;
}

Result<bool> CheckPassword(const std::string& password, const std::string& stored) {
  std::string hash = stored;
  if (!hash.empty() && hash[0] == '{') {
    size_t close = hash.find('}');
    if (close == std::string::npos) {
      return MakeError(ErrorCode::kInvalidInput, "password field has '{' without '}'");
    }
    std::string scheme = AsciiUpper(hash.substr(1, close - 1));
    static const char* kCrypt[] = {"CRYPT",     "SHA512-CRYPT", "SHA256-CRYPT",
                                   "BLF-CRYPT", "MD5-CRYPT",    "DES-CRYPT"};
    if (std::find(std::begin(kCrypt), std::end(kCrypt), scheme) == std::end(kCrypt)) {
      return MakeError(ErrorCode::kUsage, "cannot check a {" + scheme + "} password locally");
    }
    hash = hash.substr(close + 1);
  }
  if (hash.empty()) return false;
  auto data = std::make_unique<crypt_data>();
  const char* got = crypt_r(password.c_str(), hash.c_str(), data.get());
  bool match = got != nullptr && got[0] != '*' && std::string_view(got).size() == hash.size() &&
               CRYPTO_memcmp(got, hash.data(), hash.size()) == 0;
  SecureWipe(data.get(), sizeof(crypt_data));
  return match;
}

}  // namespace mxir::hooks
