// AuthDecoder: follows one SMTP AUTH exchange (RFC 4954) from the client's and server's lines and
// extracts the user name and a keyed fingerprint of the attempted secret.
//
// Mechanisms: PLAIN, LOGIN, CRAM-MD5, XOAUTH2 (user and secret), SCRAM-* (user only); others are
// followed without decoding. Initial responses, 334 challenges and the "*" cancel are handled.
// The secret is decoded into a local buffer, fingerprinted with the SecretFingerprinter, and
// wiped at once; it never leaves this class. CRAM-MD5 gets no fingerprint: its response changes
// with every challenge. The caller decides the outcome from the final reply.
#pragma once

#include <string>
#include <string_view>

#include "core/secret_fingerprint.h"

namespace mxir::smtp {

class AuthDecoder {
 public:
  // `fingerprinter` may be null (no secret_fp) and must outlive the decoder.
  explicit AuthDecoder(const SecretFingerprinter* fingerprinter) : fingerprinter_(fingerprinter) {}

  // "AUTH <mechanism> [initial-response]" was sent.
  void Start(std::string_view mechanism, std::string_view initial_response);
  // The server sent "334 <text>".
  void OnChallenge(std::string_view text);
  // The client answered a challenge with `line`.
  void OnResponse(std::string_view line);

  const std::string& mechanism() const { return mechanism_; }  // upper case
  const std::string& user() const { return user_; }
  const std::string& secret_fp() const { return secret_fp_; }
  bool cancelled() const { return cancelled_; }
  // Number of responses that were not valid base64 or not in the mechanism's format.
  int decode_errors() const { return decode_errors_; }

 private:
  void HandleResponse(std::string_view b64);
  void SetSecret(std::string& secret);  // fingerprints, then wipes `secret`

  const SecretFingerprinter* fingerprinter_;
  std::string mechanism_;
  std::string user_;
  std::string secret_fp_;
  std::string last_challenge_;  // decoded, for LOGIN's "Username:"/"Password:" prompts
  int responses_ = 0;
  int decode_errors_ = 0;
  bool cancelled_ = false;
  bool saw_challenge_ = false;
};

}  // namespace mxir::smtp
