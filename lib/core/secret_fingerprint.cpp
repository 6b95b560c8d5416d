#include "core/secret_fingerprint.h"

#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include "core/file_util.h"

namespace mxir {

SecretFingerprinter::~SecretFingerprinter() { SecureWipe(key_.data(), key_.size()); }

void SecureWipe(void* p, size_t n) {
  if (p && n) OPENSSL_cleanse(p, n);
}

void SecureWipe(std::string& s) {
  SecureWipe(s.data(), s.size());
  s.clear();
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<SecretFingerprinter> SecretFingerprinter::FromKeyFile(const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(mode_t mode, FileMode(path));
  if (mode & 077) {
    return MakeError(ErrorCode::kIo,
                     "fingerprint key file '" + path +
                         "' is readable by group or others; fix it with: chmod 600 '" + path + "'");
  }
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.size() != kKeyBytes * 2) {
    SecureWipe(text);
    return MakeError(ErrorCode::kCorrupt,
                     "fingerprint key file '" + path + "' is damaged (expected 64 hex digits)");
  }
  std::array<uint8_t, kKeyBytes> key{};
  for (size_t i = 0; i < kKeyBytes; ++i) {
    int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      SecureWipe(text);
      return MakeError(ErrorCode::kCorrupt,
                       "fingerprint key file '" + path + "' is damaged (expected 64 hex digits)");
    }
    key[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  SecureWipe(text);
  SecretFingerprinter fp(key);
  SecureWipe(key.data(), key.size());
  return fp;
}

Status SecretFingerprinter::CreateKeyFile(const std::string& path) {
  std::array<uint8_t, kKeyBytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL's random generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (uint8_t b : key) {
    text += kHex[b >> 4];
    text += kHex[b & 0xf];
  }
  text += '\n';
  Status s = WritePrivateFile(path, text);
  SecureWipe(text);
  SecureWipe(key.data(), key.size());
  return s;
}

Result<SecretFingerprinter> SecretFingerprinter::LoadOrCreate(const std::string& path) {
  if (!FileExists(path)) {
    Status s = CreateKeyFile(path);
    // Another process may have created it meanwhile: then just read it.
    if (!s.ok() && !FileExists(path)) return s.error();
  }
  return FromKeyFile(path);
}

std::string SecretFingerprinter::DefaultUserKeyPath() {
  std::string dir;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    dir = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    dir = std::string(h) + "/.local/share";
  } else {
    dir = "/tmp";
  }
  dir += "/mxir";
  // Create every missing component (a fresh account may have no ~/.local yet); ours are 0700.
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    ::mkdir(dir.substr(0, pos).c_str(), 0700);
  }
  return dir + "/fp.key";
}

std::string SecretFingerprinter::Fingerprint(std::string_view secret) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  OPENSSL_cleanse(md, sizeof md);
  return out;
}

}  // namespace mxir
