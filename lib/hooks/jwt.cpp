#include "hooks/jwt.h"

#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hooks/encoding.h"
#include "hooks/json_field.h"

namespace mxir::hooks {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

Result<std::string> SignJwtRs256(const nlohmann::ordered_json& claims,
                                 const std::string& private_key_pem, const std::string& key_id) {
  nlohmann::ordered_json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key_id.empty()) header["kid"] = key_id;
  std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return MakeError(ErrorCode::kInvalidInput,
                     "the service account's private_key is not an RSA private key in PEM form");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL could not sign the JWT");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL could not sign the JWT");
  }
  sig.resize(len);
  return signing_input + "." + Base64UrlEncode(sig);
}

Result<nlohmann::json> VerifyJwtRs256(const std::string& jwt, const std::string& public_key_pem,
                                      nlohmann::json* header_out) {
  auto dot1 = jwt.find('.');
  auto dot2 = dot1 == std::string::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string::npos || jwt.find('.', dot2 + 1) != std::string::npos) {
    return MakeError(ErrorCode::kInvalidInput, "a JWT has exactly three dot-separated parts");
  }
  MXIR_ASSIGN_OR_RETURN(std::string header_text, Base64UrlDecode(jwt.substr(0, dot1)));
  MXIR_ASSIGN_OR_RETURN(std::string claims_text,
                        Base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  MXIR_ASSIGN_OR_RETURN(std::string sig, Base64UrlDecode(jwt.substr(dot2 + 1)));
  auto header = nlohmann::json::parse(header_text, nullptr, false);
  auto claims = nlohmann::json::parse(claims_text, nullptr, false);
  if (header.is_discarded() || claims.is_discarded() || !header.is_object() ||
      !claims.is_object()) {
    return MakeError(ErrorCode::kInvalidInput, "JWT header or claims are not JSON objects");
  }
  if (JsonString(header, "alg") != "RS256") {
    return MakeError(ErrorCode::kInvalidInput, "JWT alg is not RS256");
  }
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return MakeError(ErrorCode::kInvalidInput, "not a PEM public key");
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::string input = jwt.substr(0, dot2);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return MakeError(ErrorCode::kInvalidInput, "JWT signature does not verify");
  }
  if (header_out != nullptr) *header_out = header;
  return claims;
}

}  // namespace mxir::hooks
