// GeneratePassword: strong random passwords for resets, from OpenSSL's CSPRNG (RAND_bytes) with
// rejection sampling so every character of the alphabet is equally likely. The default alphabet
// has no look-alike characters (0/O/o, 1/l/I, 5/S, 2/Z, 8/B), so a person can read the password
// off a screen; the default guarantees at least one lowercase, uppercase and digit character.
// Callers own the returned string and should wipe it (SecureWipe) when done.
#pragma once

#include <string>

#include "core/status.h"

namespace mxir::hooks {

struct PasswordPolicy {
  size_t length = 20;  // 12..128
  std::string alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
  bool require_classes = true;  // at least one lower, upper, digit (when the alphabet has them)
};

// kUsage for a length out of range or an alphabet of fewer than 10 distinct characters;
// kInternal when the RNG fails.
Result<std::string> GeneratePassword(const PasswordPolicy& policy = {});

}  // namespace mxir::hooks
