#include "relay/dkim_key_check.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

namespace mxir::relay {

namespace {

std::string Base64Decode(const std::string& in) {
  std::string clean;
  for (char c : in) {
    if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) return "";
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return "";
  size_t pad = 0;
  if (clean.size() >= 1 && clean.back() == '=') ++pad;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

std::string DkimKeyTag(const std::string& record) {
  std::stringstream ss(record);
  std::string tag;
  while (std::getline(ss, tag, ';')) {
    auto eq = tag.find('=');
    if (eq == std::string::npos) continue;
    std::string name = tag.substr(0, eq);
    name.erase(std::remove_if(name.begin(), name.end(), ::isspace), name.end());
    if (name == "p") return tag.substr(eq + 1);
  }
  return "";
}

std::string DkimSignatureTest(const std::string& key_file, const std::string& p_tag) {
  std::string der = Base64Decode(p_tag);
  if (der.empty()) return "the published p= value is not valid base64";
  const unsigned char* dp = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &dp, static_cast<long>(der.size()));
  if (!pub) return "the published p= value is not a public key";
  FILE* f = std::fopen(key_file.c_str(), "r");
  if (!f) {
    EVP_PKEY_free(pub);
    return "cannot read the private key " + key_file;
  }
  EVP_PKEY* priv = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!priv) {
    EVP_PKEY_free(pub);
    return key_file + " is not a PEM private key";
  }
  unsigned char msg[64];
  RAND_bytes(msg, sizeof msg);
  std::string result = "the test signature does not verify with the published key";
  EVP_MD_CTX* sctx = EVP_MD_CTX_new();
  size_t siglen = 0;
  std::vector<unsigned char> sig;
  if (EVP_DigestSignInit(sctx, nullptr, EVP_sha256(), nullptr, priv) == 1 &&
      EVP_DigestSign(sctx, nullptr, &siglen, msg, sizeof msg) == 1) {
    sig.resize(siglen);
    if (EVP_DigestSign(sctx, sig.data(), &siglen, msg, sizeof msg) == 1) {
      sig.resize(siglen);
      EVP_MD_CTX* vctx = EVP_MD_CTX_new();
      if (EVP_DigestVerifyInit(vctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
          EVP_DigestVerify(vctx, sig.data(), sig.size(), msg, sizeof msg) == 1) {
        result = "";
      }
      EVP_MD_CTX_free(vctx);
    }
  }
  EVP_MD_CTX_free(sctx);
  EVP_PKEY_free(priv);
  EVP_PKEY_free(pub);
  return result;
}

}  // namespace mxir::relay
