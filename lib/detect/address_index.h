// AddressIndex: IP addresses to dense uint32_t indexes (0, 1, 2, ...) in the order first seen,
// for the hosts of a case (clients and servers). An open-addressing table compared exactly:
// one probe of a 24-byte slot per lookup, no hashing of text. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ip_address.h"

namespace mxir::detect {

class AddressIndex {
 public:
  // The address's index; `added` tells whether it is new.
  uint32_t Index(const IpAddress& ip, bool* added) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = Home(ip, mask);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == 0) {
        s.ip = ip;
        s.index = static_cast<uint32_t>(++size_);
        *added = true;
        return s.index - 1;
      }
      if (s.ip == ip) {
        *added = false;
        return s.index - 1;
      }
    }
  }
  // The address's index, or -1 when it has none.
  int64_t Find(const IpAddress& ip) const {
    if (slots_.empty()) return -1;
    const size_t mask = slots_.size() - 1;
    for (size_t i = Home(ip, mask);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index == 0) return -1;
      if (s.ip == ip) return s.index - 1;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    IpAddress ip;
    uint32_t index = 0;  // 0 = empty, else index + 1
  };
  static size_t Home(const IpAddress& ip, size_t mask) {
    uint64_t h = ip.Hash();
    h ^= h >> 29;
    h *= 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> 20) & mask;
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.empty() ? 256 : old.size() * 2);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.index == 0) continue;
      size_t i = Home(s.ip, mask);
      while (slots_[i].index != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;  // size is a power of two; load factor <= 1/2
  size_t size_ = 0;
};

}  // namespace mxir::detect
