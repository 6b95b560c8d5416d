// Reads the server name (SNI, RFC 6066) from the first bytes a TLS client sends.
//
// Feed the client's bytes after STARTTLS (or from the start of an implicit-TLS connection) until
// the result is no longer kNeedMore. Only the ClientHello is parsed; at most kMaxBytes are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mxir::smtp {

class ClientHelloReader {
 public:
  static constexpr size_t kMaxBytes = 16 * 1024;
  enum class State { kNeedMore, kDone, kNotTls };

  State Feed(const uint8_t* data, size_t len);
  State state() const { return state_; }
  const std::string& sni() const { return sni_; }  // empty when the hello carried none

 private:
  State Parse();

  std::string buffer_;
  size_t need_ = 0;  // buffered bytes needed before parsing again (keeps byte-wise feeds linear)
  std::string sni_;
  State state_ = State::kNeedMore;
};

}  // namespace mxir::smtp
