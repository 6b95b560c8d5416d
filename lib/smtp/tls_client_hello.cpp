#include "smtp/tls_client_hello.h"

#include <algorithm>

namespace mxir::smtp {
namespace {

// A bounds-checked big-endian reader over a byte range.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool Skip(size_t k) {
    if (k > n_) return false;
    p_ += k, n_ -= k;
    return true;
  }
  bool U8(uint32_t* v) { return Read(1, v); }
  bool U16(uint32_t* v) { return Read(2, v); }
  bool U24(uint32_t* v) { return Read(3, v); }
  bool Sub(size_t k, Reader* out) {
    if (k > n_) return false;
    *out = Reader(p_, k);
    p_ += k, n_ -= k;
    return true;
  }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  bool Read(size_t k, uint32_t* v) {
    if (k > n_) return false;
    *v = 0;
    for (size_t i = 0; i < k; ++i) *v = (*v << 8) | p_[i];
    p_ += k, n_ -= k;
    return true;
  }
  const uint8_t* p_;
  size_t n_;
};

}  // namespace

ClientHelloReader::State ClientHelloReader::Feed(const uint8_t* data, size_t len) {
  if (state_ != State::kNeedMore) return state_;
  const size_t room = kMaxBytes - buffer_.size();
  buffer_.append(reinterpret_cast<const char*>(data), std::min(len, room));
  if (buffer_.size() < need_ && buffer_.size() < kMaxBytes) return state_;
  state_ = Parse();
  if (state_ == State::kNeedMore && buffer_.size() >= kMaxBytes) state_ = State::kNotTls;
  if (state_ != State::kNeedMore) {
    buffer_.clear();
    buffer_.shrink_to_fit();
  }
  return state_;
}

ClientHelloReader::State ClientHelloReader::Parse() {
  // Reassemble the handshake message from TLS records (content type 22).
  std::string handshake;
  const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data());
  size_t n = buffer_.size();
  while (true) {
    const size_t offset = buffer_.size() - n;
    if (n < 5) {
      need_ = offset + 5;
      return State::kNeedMore;
    }
    if (p[0] != 22 || p[1] != 3) return State::kNotTls;
    const size_t rec_len = (static_cast<size_t>(p[3]) << 8) | p[4];
    if (n < 5 + rec_len) {
      need_ = offset + 5 + rec_len;
      return State::kNeedMore;
    }
    handshake.append(reinterpret_cast<const char*>(p + 5), rec_len);
    p += 5 + rec_len, n -= 5 + rec_len;
    if (handshake.size() >= 4) {
      const size_t hs_len = (static_cast<size_t>(static_cast<uint8_t>(handshake[1])) << 16) |
                            (static_cast<size_t>(static_cast<uint8_t>(handshake[2])) << 8) |
                            static_cast<uint8_t>(handshake[3]);
      if (handshake.size() >= 4 + hs_len) break;
    }
  }
  Reader r(reinterpret_cast<const uint8_t*>(handshake.data()), handshake.size());
  uint32_t type, len, v;
  if (!r.U8(&type) || type != 1 || !r.U24(&len)) return State::kNotTls;  // ClientHello
  Reader hello(nullptr, 0);
  if (!r.Sub(len, &hello)) return State::kNotTls;
  if (!hello.Skip(2 + 32) || !hello.U8(&v) || !hello.Skip(v) || !hello.U16(&v) || !hello.Skip(v) ||
      !hello.U8(&v) || !hello.Skip(v)) {
    return State::kNotTls;
  }
  if (hello.size() == 0) return State::kDone;  // no extensions
  Reader exts(nullptr, 0);
  if (!hello.U16(&len) || !hello.Sub(len, &exts)) return State::kNotTls;
  while (exts.size() >= 4) {
    uint32_t ext_type, ext_len;
    Reader ext(nullptr, 0);
    if (!exts.U16(&ext_type) || !exts.U16(&ext_len) || !exts.Sub(ext_len, &ext)) break;
    if (ext_type != 0) continue;  // server_name
    Reader list(nullptr, 0);
    if (!ext.U16(&len) || !ext.Sub(len, &list)) break;
    while (list.size() >= 3) {
      uint32_t name_type, name_len;
      Reader name(nullptr, 0);
      if (!list.U8(&name_type) || !list.U16(&name_len) || !list.Sub(name_len, &name)) break;
      if (name_type == 0) {
        sni_.assign(reinterpret_cast<const char*>(name.data()), std::min<size_t>(name.size(), 255));
        return State::kDone;
      }
    }
  }
  return State::kDone;
}

}  // namespace mxir::smtp
