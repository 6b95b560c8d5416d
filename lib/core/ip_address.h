// IpAddress (IPv4 or IPv6, a value type) and IpNetwork (a CIDR block with membership tests).
//
// Parsing is strict (inet_pton rules, no zone ids, no surrounding spaces); formatting is RFC 5952
// for IPv6. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are kept as IPv6 but can be unmapped.
// Both types are cheap to copy, comparable and hashable; safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir {

class IpAddress {
 public:
  enum class Family : uint8_t { kV4, kV6 };

  IpAddress() = default;  // 0.0.0.0
  static IpAddress V4(uint32_t host_order);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  static IpAddress FromBytes(const uint8_t* bytes, bool v6);

  // Parses "192.0.2.1" or "2001:db8::1"; nullopt when it is neither.
  static std::optional<IpAddress> Parse(std::string_view text);
  // Same, as a Result with a message naming the bad text.
  static Result<IpAddress> ParseOrError(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // Network-order bytes: 4 for IPv4, 16 for IPv6.
  const uint8_t* bytes() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : 16; }
  uint32_t v4_host_order() const;

  bool IsLoopback() const;
  bool IsV4Mapped() const;
  // ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged.
  IpAddress Unmapped() const;

  std::string ToString() const;
  // Appends the text form to `out` without a temporary string (hot paths).
  void AppendTo(std::string& out) const;

  // The DNSBL query label: "2.0.0.127" for 127.0.0.2, nibbles for IPv6 (RFC 5782).
  std::string ReversePointer() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend auto operator<=>(const IpAddress& a, const IpAddress& b) {
    if (auto c = a.family_ <=> b.family_; c != 0) return c;
    return a.bytes_ <=> b.bytes_;
  }
  size_t Hash() const;

 private:
  std::array<uint8_t, 16> bytes_{};
  Family family_ = Family::kV4;
};

class IpNetwork {
 public:
  IpNetwork() = default;
  IpNetwork(IpAddress base, int prefix_len);
  // "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128).
  static Result<IpNetwork> Parse(std::string_view text);

  bool Contains(const IpAddress& ip) const;
  const IpAddress& base() const { return base_; }
  int prefix_len() const { return prefix_len_; }
  std::string ToString() const;

 private:
  IpAddress base_;
  int prefix_len_ = 0;
};

}  // namespace mxir

template <>
struct std::hash<mxir::IpAddress> {
  size_t operator()(const mxir::IpAddress& ip) const noexcept { return ip.Hash(); }
};
