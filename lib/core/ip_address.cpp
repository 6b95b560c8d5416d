#include "core/ip_address.h"

#include <cstring>

#include <arpa/inet.h>

namespace mxir {

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress ip;
  ip.family_ = Family::kV4;
  ip.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  ip.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  ip.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  ip.bytes_[3] = static_cast<uint8_t>(host_order);
  return ip;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress ip;
  ip.family_ = Family::kV6;
  ip.bytes_ = bytes;
  return ip;
}

IpAddress IpAddress::FromBytes(const uint8_t* bytes, bool v6) {
  IpAddress ip;
  ip.family_ = v6 ? Family::kV6 : Family::kV4;
  std::memcpy(ip.bytes_.data(), bytes, v6 ? 16 : 4);
  return ip;
}

namespace {

// Dotted-quad IPv4 exactly as inet_pton(AF_INET) takes it: four decimal parts of one to three
// digits, each at most 255, no leading zeros, nothing else. (Hot: every log line has one.)
bool ParseV4(std::string_view s, uint8_t* out) {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    const size_t digits = i - start;
    if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0')) return false;
    out[part] = static_cast<uint8_t>(v);
  }
  return i == s.size();
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (text.find(':') == std::string_view::npos) {
    if (!ParseV4(text, ip.bytes_.data())) return std::nullopt;
    ip.family_ = Family::kV4;
  } else {
    if (inet_pton(AF_INET6, buf, ip.bytes_.data()) != 1) return std::nullopt;
    ip.family_ = Family::kV6;
  }
  return ip;
}

Result<IpAddress> IpAddress::ParseOrError(std::string_view text) {
  if (auto ip = Parse(text)) return *ip;
  return MakeError(ErrorCode::kInvalidInput,
                   "'" + std::string(text) + "' is not an IPv4 or IPv6 address");
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

bool IpAddress::IsV4Mapped() const {
  if (!is_v6()) return false;
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes_.data(), kPrefix, 12) == 0;
}

IpAddress IpAddress::Unmapped() const {
  if (!IsV4Mapped()) return *this;
  return FromBytes(bytes_.data() + 12, false);
}

bool IpAddress::IsLoopback() const {
  if (is_v4()) return bytes_[0] == 127;
  if (IsV4Mapped()) return bytes_[12] == 127;
  static constexpr uint8_t kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(bytes_.data(), kLoop, 16) == 0;
}

void IpAddress::AppendTo(std::string& out) const {
  if (is_v4()) {
    char buf[16];
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      unsigned v = bytes_[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + (v / 10) % 10);
      *p++ = static_cast<char>('0' + v % 10);
      if (i < 3) *p++ = '.';
    }
    out.append(buf, p);
    return;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  out.append(buf);
}

std::string IpAddress::ToString() const {
  std::string s;
  AppendTo(s);
  return s;
}

std::string IpAddress::ReversePointer() const {
  std::string out;
  if (is_v4()) {
    for (int i = 3; i >= 0; --i) {
      out += std::to_string(bytes_[i]);
      if (i) out += '.';
    }
    return out;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += kHex[bytes_[i] & 0xf];
    out += '.';
    out += kHex[bytes_[i] >> 4];
    if (i) out += '.';
  }
  return out;
}

size_t IpAddress::Hash() const {
  // FNV-1a over the significant bytes; good enough for hash maps of flows and hosts.
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(family_);
  for (size_t i = 0; i < size(); ++i) {
    h ^= bytes_[i];
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

IpNetwork::IpNetwork(IpAddress base, int prefix_len) : base_(base), prefix_len_(prefix_len) {
  // Clear the host bits so that base() is canonical.
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), base.bytes(), base.size());
  for (size_t i = 0; i < base.size(); ++i) {
    int bits = prefix_len - static_cast<int>(i) * 8;
    if (bits >= 8) continue;
    b[i] = bits <= 0 ? 0 : static_cast<uint8_t>(b[i] & (0xff << (8 - bits)));
  }
  base_ = IpAddress::FromBytes(b.data(), base.is_v6());
}

Result<IpNetwork> IpNetwork::Parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + std::string(text) + "' is not a network (expected e.g. 10.0.0.0/8)");
  }
  int max = ip->is_v4() ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) {
      return MakeError(ErrorCode::kInvalidInput, "'" + std::string(text) + "': bad prefix length");
    }
    len = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        return MakeError(ErrorCode::kInvalidInput,
                         "'" + std::string(text) + "': bad prefix length");
      }
      len = len * 10 + (c - '0');
    }
    if (len > max) {
      return MakeError(ErrorCode::kInvalidInput,
                       "'" + std::string(text) + "': prefix length over " + std::to_string(max));
    }
  }
  return IpNetwork(*ip, len);
}

bool IpNetwork::Contains(const IpAddress& raw) const {
  IpAddress ip = base_.is_v4() ? raw.Unmapped() : raw;
  if (ip.family() != base_.family()) return false;
  int full = prefix_len_ / 8;
  if (std::memcmp(ip.bytes(), base_.bytes(), full) != 0) return false;
  int rest = prefix_len_ % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes()[full] & mask) == (base_.bytes()[full] & mask);
}

std::string IpNetwork::ToString() const {
  return base_.ToString() + "/" + std::to_string(prefix_len_);
}

}  // namespace mxir
