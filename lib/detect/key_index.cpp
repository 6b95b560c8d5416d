#include "detect/key_index.h"

#include <xxhash.h>

namespace mxir::detect {

void KeyIndex::Grow() {
  std::vector<Slot, HugePageAllocator<Slot>> old;
  old.swap(slots_);
  slots_.resize(old.empty() ? 1024 : old.size() * 2);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index == 0) continue;
    size_t i = s.low & mask;
    while (slots_[i].index != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

uint32_t KeyIndex::Index(std::string_view key, bool* added) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  const uint32_t high = static_cast<uint32_t>(h.high64);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h.low64 & mask;; i = (i + 1) & mask) {  // linear probing
    Slot& s = slots_[i];
    if (s.index == 0) {
      s.low = h.low64;
      s.high = high;
      s.index = static_cast<uint32_t>(++size_);
      if (added) *added = true;
      return s.index - 1;
    }
    if (s.low == h.low64 && s.high == high) {
      if (added) *added = false;
      return s.index - 1;
    }
  }
}

}  // namespace mxir::detect
