#include "hooks/password_generator.h"

#include <cctype>
#include <set>

#include <openssl/rand.h>

#include "core/secret_fingerprint.h"

namespace mxir::hooks {
namespace {

bool HasClass(const std::string& s, int (*pred)(int)) {
  for (unsigned char c : s) {
    if (pred(c)) return true;
  }
  return false;
}

}  // namespace

Result<std::string> GeneratePassword(const PasswordPolicy& policy) {
  if (policy.length < 12 || policy.length > 128) {
    return MakeError(ErrorCode::kUsage, "password length must be between 12 and 128 characters");
  }
  std::set<char> distinct(policy.alphabet.begin(), policy.alphabet.end());
  if (distinct.size() < 10 || distinct.size() != policy.alphabet.size()) {
    return MakeError(ErrorCode::kUsage,
                     "password alphabet needs at least 10 characters, each listed once");
  }
  for (unsigned char c : policy.alphabet) {
    if (c < 0x21 || c > 0x7e || c == ':') {
      return MakeError(ErrorCode::kUsage,
                       "password alphabet may hold only printable ASCII without spaces or ':'");
    }
  }
  const size_t n = policy.alphabet.size();
  // Largest multiple of n below 256: bytes at or above it are rejected to avoid modulo bias.
  const unsigned limit = 256 - (256 % n);
  // A few rounds at most: with the class rule, a 20-character password from the default
  // alphabet fails it with probability below 1e-4.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string out;
    out.reserve(policy.length);
    unsigned char buf[64];
    while (out.size() < policy.length) {
      if (RAND_bytes(buf, sizeof buf) != 1) {
        return MakeError(ErrorCode::kInternal, "OpenSSL's random generator failed");
      }
      for (unsigned char b : buf) {
        if (b >= limit || out.size() == policy.length) continue;
        out.push_back(policy.alphabet[b % n]);
      }
    }
    SecureWipe(buf, sizeof buf);
    if (!policy.require_classes) return out;
    bool ok = true;
    for (auto pred : {::islower, ::isupper, ::isdigit}) {
      if (HasClass(policy.alphabet, pred) && !HasClass(out, pred)) ok = false;
    }
    if (ok) return out;
    SecureWipe(out);
  }
  return MakeError(ErrorCode::kInternal, "could not draw a password meeting the class rule");
}

}  // namespace mxir::hooks
