#include "core/secret_fingerprint.h"

#include <cerrno>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/hex.h"

namespace mxir {

struct SecretFingerprinter::Pads {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* inner = nullptr;  // SHA-256 after (key XOR ipad)
  EVP_MD_CTX* outer = nullptr;  // SHA-256 after (key XOR opad)
  bool ok = false;
  explicit Pads(const std::array<uint8_t, kKeyBytes>& key) {
    constexpr size_t kBlock = 64;  // SHA-256's block; the key (32 bytes) is padded with zeros
    unsigned char ipad[kBlock], opad[kBlock];
    for (size_t i = 0; i < kBlock; ++i) {
      const unsigned char k = i < key.size() ? key[i] : 0;
      ipad[i] = k ^ 0x36;
      opad[i] = k ^ 0x5c;
    }
    md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    inner = EVP_MD_CTX_new();
    outer = EVP_MD_CTX_new();
    ok = md && inner && outer && EVP_DigestInit_ex(inner, md, nullptr) == 1 &&
         EVP_DigestUpdate(inner, ipad, kBlock) == 1 && EVP_DigestInit_ex(outer, md, nullptr) == 1 &&
         EVP_DigestUpdate(outer, opad, kBlock) == 1;
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
  }
  ~Pads() {
    EVP_MD_CTX_free(inner);  // clears the digest state
    EVP_MD_CTX_free(outer);
    EVP_MD_free(md);
  }
  Pads(const Pads&) = delete;
  Pads& operator=(const Pads&) = delete;

  // HMAC-SHA256 of `data` into md (32 bytes); false when OpenSSL failed.
  bool Mac(std::string_view data, unsigned char* out) const {
    if (!ok) return false;
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    if (c == nullptr) return false;
    unsigned char inner_md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, m = 0;
    const bool done =
        EVP_MD_CTX_copy_ex(c, inner) == 1 && EVP_DigestUpdate(c, data.data(), data.size()) == 1 &&
        EVP_DigestFinal_ex(c, inner_md, &n) == 1 && EVP_MD_CTX_copy_ex(c, outer) == 1 &&
        EVP_DigestUpdate(c, inner_md, n) == 1 && EVP_DigestFinal_ex(c, out, &m) == 1;
    OPENSSL_cleanse(inner_md, sizeof inner_md);
    EVP_MD_CTX_free(c);
    return done && m == 32;
  }
};

SecretFingerprinter::SecretFingerprinter(const std::array<uint8_t, kKeyBytes>& key)
    : key_(key), pads_(std::make_shared<const Pads>(key)) {}

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

Result<SecretFingerprinter> SecretFingerprinter::FromKeyFile(const std::string& path,
                                                             bool check_owner) {
  if (path.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "no place for the fingerprint key: HOME is not set and the account has no "
                     "home directory; set HOME, or use --case or --fp-key FILE");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return MakeError(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     "cannot read fingerprint key file '" + path + "': " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "fingerprint key file '" + path + "' is not a regular file (a symlink?)");
  }
  // A key someone else made (a planted /tmp/mxir/fp.key) is known to them: refuse it.
  if (check_owner && st.st_uid != ::geteuid() && st.st_uid != 0) {
    return MakeError(ErrorCode::kInvalidInput,
                     "fingerprint key file '" + path + "' belongs to another user (uid " +
                         std::to_string(st.st_uid) +
                         "); whoever owns it knows the key: remove it or use your own");
  }
  if (st.st_mode & 077) {
    return MakeError(ErrorCode::kIo,
                     "fingerprint key file '" + path +
                         "' is readable by group or others; fix it with: chmod 600 '" + path + "'");
  }
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadRegularFile(path, 4096));
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
  std::string text = HexLower(key.data(), key.size());
  text += '\n';
  Status s = WritePrivateFile(path, text);
  SecureWipe(text);
  SecureWipe(key.data(), key.size());
  return s;
}

Result<SecretFingerprinter> SecretFingerprinter::LoadOrCreate(const std::string& path) {
  if (!path.empty() && !FileExists(path)) {
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
  } else if (struct passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir && *pw->pw_dir) {
    dir = std::string(pw->pw_dir) + "/.local/share";
  } else {
    return "";  // never a shared directory such as /tmp: FromKeyFile says what to do
  }
  dir += "/mxir";
  // Create every missing component (a fresh account may have no ~/.local yet); ours are 0700.
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    ::mkdir(dir.substr(0, pos).c_str(), 0700);
  }
  return dir + "/fp.key";
}

Result<SecretFingerprinter> SecretFingerprinter::ForThisUser(std::string* warning) {
  warning->clear();
  auto kept = LoadOrCreate(DefaultUserKeyPath());
  if (kept.ok()) return kept;
  std::array<uint8_t, kKeyBytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return MakeError(ErrorCode::kInternal,
                     "cannot make a fingerprint key: the system's random "
                     "generator failed (" +
                         kept.error().message + ")");
  }
  SecretFingerprinter temporary(key);
  SecureWipe(key.data(), key.size());
  *warning = "cannot keep a fingerprint key (" + kept.error().message +
             "): using a temporary key for this run, so its secret fingerprints match no other "
             "run; give --fp-key FILE or --case FILE to keep them comparable";
  return temporary;
}

std::string SecretFingerprinter::Fingerprint(std::string_view secret) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  if (!pads_ || !pads_->Mac(secret, md)) {  // (a moved-from object, or OpenSSL failed)
    unsigned int len = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), md, &len);
  }
  std::string out = HexLower(md, 8);  // the first 8 bytes: 16 hex digits
  OPENSSL_cleanse(md, sizeof md);
  return out;
}

}  // namespace mxir
