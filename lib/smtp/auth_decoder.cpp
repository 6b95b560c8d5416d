#include "smtp/auth_decoder.h"

#include <algorithm>

#include "core/ascii.h"
#include "smtp/protocol_lines.h"
#include "smtp/text_codecs.h"

namespace mxir::smtp {
namespace {

// Keeps only printable user names of sane length (a user name is not a secret, but a client
// that types its password into the user field must not leak more than a bounded string).
std::string CleanUser(std::string_view s) {
  if (s.size() > 256) s = s.substr(0, 256);
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out;
}

}  // namespace

void AuthDecoder::Start(std::string_view mechanism, std::string_view initial_response) {
  mechanism_ = AsciiUpper(mechanism.substr(0, 64));
  if (!initial_response.empty()) {
    if (initial_response == "=") initial_response = {};  // RFC 4954: an empty initial response
    HandleResponse(initial_response);
  }
}

void AuthDecoder::OnChallenge(std::string_view text) {
  saw_challenge_ = true;
  auto decoded = Base64Decode(text);
  last_challenge_ = decoded ? AsciiUpper(decoded->substr(0, 64)) : std::string();
}

void AuthDecoder::OnResponse(std::string_view line) {
  if (line == "*") {
    cancelled_ = true;
    return;
  }
  HandleResponse(line);
}

void AuthDecoder::SetSecret(std::string& secret) {
  if (fingerprinter_ != nullptr) secret_fp_ = fingerprinter_->Fingerprint(secret);
  SecureWipe(secret);
}

void AuthDecoder::HandleResponse(std::string_view b64) {
  const int index = responses_++;
  auto decoded = Base64Decode(b64);
  if (!decoded) {
    ++decode_errors_;
    return;
  }
  std::string& data = *decoded;
  if (mechanism_ == "PLAIN") {
    // authzid NUL authcid NUL passwd
    const size_t a = data.find('\0');
    const size_t b = a == std::string::npos ? std::string::npos : data.find('\0', a + 1);
    if (b == std::string::npos) {
      ++decode_errors_;
    } else {
      const std::string_view authzid(data.data(), a);
      const std::string_view authcid(data.data() + a + 1, b - a - 1);
      user_ = CleanUser(authcid.empty() ? authzid : authcid);
      std::string secret = data.substr(b + 1);
      SetSecret(secret);
    }
  } else if (mechanism_ == "LOGIN") {
    // Without a prompt we know, the first response is the user, the second the password.
    const bool is_user =
        last_challenge_.find("USER") != std::string::npos ||
        (last_challenge_.find("PASS") == std::string::npos && user_.empty() && index == 0);
    if (is_user) {
      user_ = CleanUser(data);
    } else {
      SetSecret(data);
    }
  } else if (mechanism_ == "CRAM-MD5") {
    const size_t sp = data.rfind(' ');
    user_ = CleanUser(sp == std::string::npos ? data : std::string_view(data).substr(0, sp));
  } else if (mechanism_ == "XOAUTH2" || mechanism_ == "OAUTHBEARER") {
    // XOAUTH2: "user=U\x01auth=Bearer T\x01\x01"; OAUTHBEARER: "n,a=U,\x01auth=Bearer T\x01\x01".
    // An empty response after an error challenge carries nothing.
    std::string_view rest(data);
    while (!rest.empty()) {
      const size_t sep = rest.find('\x01');
      std::string_view field = rest.substr(0, sep);
      if (StartsWithNoCase(field, "user=")) {
        user_ = CleanUser(field.substr(5));
      } else if (StartsWithNoCase(field, "n,a=")) {
        const std::string_view u = field.substr(4);
        user_ = CleanUser(u.substr(0, u.find(',')));
      } else if (StartsWithNoCase(field, "auth=")) {
        std::string_view token = field.substr(5);
        if (StartsWithNoCase(token, "Bearer ")) token.remove_prefix(7);
        std::string secret(token);
        SetSecret(secret);
      }
      if (sep == std::string_view::npos) break;
      rest.remove_prefix(sep + 1);
    }
  } else if (mechanism_.rfind("SCRAM-", 0) == 0 && index == 0) {
    // client-first-message: gs2-header ("n,," / "y,," / "p=..,a=..,") then "n=user,r=nonce".
    const size_t c1 = data.find(',');
    const size_t c2 = c1 == std::string::npos ? c1 : data.find(',', c1 + 1);
    if (c2 != std::string::npos && data.compare(c2 + 1, 2, "n=") == 0) {
      const size_t end = data.find(',', c2 + 3);
      user_ = CleanUser(std::string_view(data).substr(
          c2 + 3, end == std::string::npos ? std::string::npos : end - c2 - 3));
    }
  }
  SecureWipe(data);
}

}  // namespace mxir::smtp
