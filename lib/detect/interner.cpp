#include "detect/interner.h"

#include <cstring>

#include <xxhash.h>

namespace mxir::detect {

namespace {

constexpr uint64_t kIndexMask = 0xffffffffu;

}  // namespace

uint64_t Interner::Hash(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

size_t Interner::Probe(std::string_view s, uint64_t h) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = h << 32;
  for (size_t i = h & mask;; i = (i + 1) & mask) {  // linear probing; load factor <= 1/2
    const uint64_t v = slots_[i];
    if (v == 0) return i;
    if ((v & ~kIndexMask) != tag) continue;
    std::string_view e = entries_[(v & kIndexMask) - 1];
    if (e.size() == s.size() && (s.empty() || std::memcmp(e.data(), s.data(), s.size()) == 0)) {
      return i;
    }
  }
}

void Interner::Grow() {
  std::vector<uint64_t, HugePageAllocator<uint64_t>> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
  const size_t mask = slots_.size() - 1;
  for (uint64_t v : old) {
    if (v == 0) continue;
    size_t i = (v >> 32) & mask;  // the slot keeps the hash's low half: no rehashing
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = v;
  }
}

std::string_view Interner::Store(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > kBlockBytes / 8) {  // a large string gets a block of its own
    blocks_.push_back(std::make_unique<char[]>(s.size()));
    block_used_ = kBlockBytes;  // the next small string starts a new block
    std::memcpy(blocks_.back().get(), s.data(), s.size());
    return std::string_view(blocks_.back().get(), s.size());
  }
  if (block_used_ + s.size() > kBlockBytes) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  std::memcpy(p, s.data(), s.size());
  block_used_ += s.size();
  return std::string_view(p, s.size());
}

uint32_t Interner::Intern(std::string_view s) {
  if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
  const uint64_t h = Hash(s);
  const size_t slot = Probe(s, h);
  if (slots_[slot] != 0) return static_cast<uint32_t>((slots_[slot] & kIndexMask) - 1);
  const uint32_t index = static_cast<uint32_t>(entries_.size());
  entries_.push_back(Store(s));
  slots_[slot] = (h << 32) | (index + 1);
  return index;
}

uint32_t Interner::Find(std::string_view s) const {
  if (slots_.empty()) return kNone;
  const uint64_t v = slots_[Probe(s, Hash(s))];
  return v == 0 ? kNone : static_cast<uint32_t>((v & kIndexMask) - 1);
}

}  // namespace mxir::detect
