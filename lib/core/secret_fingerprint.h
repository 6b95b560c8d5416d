// SecretFingerprinter: the keyed fingerprint of an attempted secret (spec/events.md):
// the first 16 hex digits of HMAC-SHA256(key, secret), key = 32 random bytes.
//
// It tells "the same wrong password again" from "a new guess" without storing anything that
// allows offline guessing: the key lives only in its own 0600 file (CASE.key beside a case, or
// a per-user key file), never in a case database or an export. Callers must wipe the secret
// themselves right after (see SecureWipe). Thread-safe after construction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir {

class SecretFingerprinter {
 public:
  static constexpr size_t kKeyBytes = 32;

  explicit SecretFingerprinter(const std::array<uint8_t, kKeyBytes>& key);
  ~SecretFingerprinter();
  SecretFingerprinter(const SecretFingerprinter&) = default;
  SecretFingerprinter& operator=(const SecretFingerprinter&) = default;
  SecretFingerprinter(SecretFingerprinter&&) = default;
  SecretFingerprinter& operator=(SecretFingerprinter&&) = default;

  // Reads a key file (64 hex digits); refuses one that group or others can read, one that is not
  // a regular file, and (with `check_owner`) one owned by another user than us or root: its
  // owner would know the key. A case's own CASE.key is read without the owner check (whoever
  // may use the case may use its key).
  static Result<SecretFingerprinter> FromKeyFile(const std::string& path, bool check_owner = true);
  // Creates a new random key file (mode 0600, never overwriting); fails if it exists.
  static Status CreateKeyFile(const std::string& path);
  // Loads the key file, creating it first when it does not exist.
  static Result<SecretFingerprinter> LoadOrCreate(const std::string& path);
  // The per-user key used without --case: $XDG_DATA_HOME/mxir/fp.key or ~/.local/share/mxir/fp.key
  // (the home from the password database when HOME is unset; "" when there is none).
  static std::string DefaultUserKeyPath();
  // The key a tool uses without --case or --fp-key: the per-user key (DefaultUserKeyPath, made
  // when missing). When it cannot be kept (no writable home: a service or cron user), a random key
  // for this run only, and `*warning` says so and what to do: its fingerprints then match those of
  // no other run, but still compare within this one. Fails only when no random key can be made.
  static Result<SecretFingerprinter> ForThisUser(std::string* warning);

  // 16 lowercase hex digits.
  std::string Fingerprint(std::string_view secret) const;

 private:
  // SHA-256 with the key's inner and outer pads absorbed (HMAC's first block of each hash),
  // made once: a fingerprint then costs two copies of a digest state and two short hashes,
  // instead of HMAC()'s look-up of the algorithms by name at every call (a log with millions
  // of attempted passwords). Shared by copies; only read after construction.
  struct Pads;
  std::array<uint8_t, kKeyBytes> key_;
  std::shared_ptr<const Pads> pads_;
};

// Overwrites memory in a way the compiler may not optimise away (OPENSSL_cleanse).
void SecureWipe(void* p, size_t n);
void SecureWipe(std::string& s);

}  // namespace mxir
