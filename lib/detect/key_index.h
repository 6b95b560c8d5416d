// KeyIndex: strings to dense uint32_t indexes (0, 1, 2, ...) when the strings themselves are
// never needed again — session keys, recipient addresses: only "same or different" matters.
//
// A key is identified by 96 bits of its XXH3-128 hash, and only those bits are kept: a lookup
// touches one 16-byte slot (one cache miss at most, where an Interner needs three), and an
// entry costs 32 bytes whatever the key's length. Two different keys share an index only if
// their 96 bits collide: for ten million keys the chance is below 1e-15. Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "detect/huge_page_allocator.h"

namespace mxir::detect {

class KeyIndex {
 public:
  // The key's index; `added` (optional) tells whether it is new.
  uint32_t Index(std::string_view key, bool* added = nullptr);
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t low = 0;    // hash bits 0..63
    uint32_t high = 0;   // hash bits 64..95
    uint32_t index = 0;  // 0 = empty, else index + 1
  };
  void Grow();

  std::vector<Slot, HugePageAllocator<Slot>> slots_;  // size is a power of two; load factor <= 1/2
  size_t size_ = 0;
};

}  // namespace mxir::detect
