// Interner: strings stored once and referred to by a dense uint32_t index (0, 1, 2, ...).
//
// Built for millions of short strings (accounts, session keys, domains, subjects): the bytes
// live in large blocks that never move, and the index is an open-addressing table of 64-bit
// slots (a hash tag and the index), so an entry costs its bytes plus about 32 bytes, with no
// per-string heap allocation. Views from Get() stay valid as long as the Interner.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "detect/huge_page_allocator.h"

namespace mxir::detect {

inline constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

class Interner {
 public:
  uint32_t Intern(std::string_view s);
  uint32_t Find(std::string_view s) const;  // kNone when absent
  std::string_view Get(uint32_t i) const { return entries_[i]; }
  size_t size() const { return entries_.size(); }

 private:
  static uint64_t Hash(std::string_view s);
  // The slot holding `s`, or the empty slot where it would go.
  size_t Probe(std::string_view s, uint64_t h) const;
  void Grow();
  std::string_view Store(std::string_view s);

  static constexpr size_t kBlockBytes = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = kBlockBytes;  // bytes used in blocks_.back()
  std::vector<std::string_view> entries_;
  // 0 = empty, else (low 32 bits of the hash << 32) | (entry index + 1); the low bits also
  // pick the home slot. The size is a power of two.
  std::vector<uint64_t, HugePageAllocator<uint64_t>> slots_;
};

}  // namespace mxir::detect
