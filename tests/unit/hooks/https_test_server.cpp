#include "https_test_server.h"

#include <cstdio>
#include <stdexcept>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <unistd.h>

namespace mxir::hooks::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

EVP_PKEY* GenerateRsaKey() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
    throw std::runtime_error("RSA key generation failed");
  }
  EVP_PKEY_CTX_free(ctx);
  return key;
}

// RSA key generation is slow on a busy machine: the tests share two keys, handed out in turn, so
// two consecutive calls always give different keys (a test's "other" key).
EVP_PKEY* NewRsaKey() {
  static EVP_PKEY* pool[2] = {GenerateRsaKey(), GenerateRsaKey()};
  static unsigned next = 0;
  EVP_PKEY* key = pool[next++ % 2];
  EVP_PKEY_up_ref(key);
  return key;
}

std::string PemOf(const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A self-signed certificate for IP 127.0.0.1, valid for a day.
void MakeCertificate(std::string* key_pem, std::string* cert_pem) {
  static EVP_PKEY* server_key = GenerateRsaKey();  // its own: never one of the test's pairs
  EVP_PKEY* key = server_key;
  EVP_PKEY_up_ref(key);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(::getpid()));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mxir test server"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  *key_pem = PemOf([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  *cert_pem = PemOf([&](BIO* b) { return PEM_write_bio_X509(b, cert); });
  X509_free(cert);
  EVP_PKEY_free(key);
}

}  // namespace

void MakeRsaKeyPair(std::string* private_pem, std::string* public_pem) {
  EVP_PKEY* key = NewRsaKey();
  *private_pem = PemOf([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  *public_pem = PemOf([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key); });
  EVP_PKEY_free(key);
}

struct HttpsTestServer::Impl {
  asio::io_context io;
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::mutex mu;
  Handler handler;
  std::vector<SeenRequest> seen;
  std::atomic<bool> stopping{false};

  void Serve() {
    while (!stopping) {
      tcp::socket sock(io);
      boost::system::error_code ec;
      acceptor.accept(sock, ec);
      if (ec || stopping) break;
      beast::ssl_stream<tcp::socket> stream(std::move(sock), ssl);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;  // e.g. a client that refused our certificate
      beast::flat_buffer buf;
      for (int i = 0; i < 100 && !stopping; ++i) {
        http::request<http::string_body> req;
        http::read(stream, buf, req, ec);
        if (ec) break;
        SeenRequest s;
        s.method = std::string(req.method_string());
        s.target = std::string(req.target());
        s.body = req.body();
        for (const auto& f : req) {
          std::string n(f.name_string());
          for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          s.headers[n] = std::string(f.value());
        }
        Handler h;
        {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(s);
          h = handler;
        }
        CannedResponse c = h(s);
        if (c.hang) {
          // Hold the connection until the client gives up (its timeout) or the server stops.
          char byte;
          stream.next_layer().read_some(asio::buffer(&byte, 1), ec);
          break;
        }
        http::response<http::string_body> resp{static_cast<http::status>(c.status), req.version()};
        resp.set(http::field::server, "mxir-test");
        if (!c.body.empty()) resp.set(http::field::content_type, "application/json");
        for (const auto& [k, v] : c.headers) resp.set(k, v);
        resp.body() = c.body;
        resp.keep_alive(req.keep_alive());
        resp.prepare_payload();
        http::write(stream, resp, ec);
        if (ec || !req.keep_alive()) break;
      }
      stream.shutdown(ec);
    }
  }
};

HttpsTestServer::HttpsTestServer(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  std::string key_pem, cert_pem;
  MakeCertificate(&key_pem, &cert_pem);
  impl_->ssl.use_certificate_chain(asio::buffer(cert_pem));
  impl_->ssl.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem);
  char path[] = "/tmp/mxir-hooks-ca-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0 ||
      ::write(fd, cert_pem.data(), cert_pem.size()) != static_cast<ssize_t>(cert_pem.size())) {
    throw std::runtime_error("cannot write the test CA file");
  }
  ::close(fd);
  ca_file_ = path;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->thread = std::thread([this] { impl_->Serve(); });
}

HttpsTestServer::~HttpsTestServer() {
  impl_->stopping = true;
  boost::system::error_code ec;
  // Wake a blocked accept() with a connection of our own, then close.
  {
    tcp::socket s(impl_->io);
    s.connect(impl_->acceptor.local_endpoint(), ec);
  }
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->thread.join();
  impl_->acceptor.close(ec);
  ::unlink(ca_file_.c_str());
}

std::string HttpsTestServer::base_url() const {
  return "https://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

std::vector<SeenRequest> HttpsTestServer::requests() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->seen;
}

void HttpsTestServer::set_handler(Handler h) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->handler = std::move(h);
}

}  // namespace mxir::hooks::testing
