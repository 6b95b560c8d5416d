// HttpsTestServer: a local HTTPS server for the cloud providers' contract tests (Boost.Beast over
// Asio + OpenSSL). It makes its own RSA key and a self-signed certificate for 127.0.0.1 (written
// to a temporary CA file the client is told to trust), listens on 127.0.0.1 at a free port,
// records every request, and answers each with the test's handler. One connection at a time, on
// its own thread; stopped and joined by the destructor.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mxir::hooks::testing {

struct SeenRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct CannedResponse {
  CannedResponse(int s = 200, std::string b = "", std::map<std::string, std::string> h = {})
      : status(s), body(std::move(b)), headers(std::move(h)) {}
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
  bool hang = false;  // never answer (for timeout tests): the connection is held until shutdown
};

class HttpsTestServer {
 public:
  using Handler = std::function<CannedResponse(const SeenRequest&)>;
  explicit HttpsTestServer(Handler handler);
  ~HttpsTestServer();
  std::string base_url() const;  // https://127.0.0.1:PORT
  const std::string& ca_file() const { return ca_file_; }
  std::vector<SeenRequest> requests();
  void set_handler(Handler h);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string ca_file_;
};

// An RSA key pair as PEM texts (private in PKCS#8, public in SubjectPublicKeyInfo).
void MakeRsaKeyPair(std::string* private_pem, std::string* public_pem);

}  // namespace mxir::hooks::testing
