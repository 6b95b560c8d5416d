// RecentWindow: for records read in time order, the ones kept within the last `window`
// microseconds, grouped by a 64-bit key — what the cross-source merges (auth_merge.h,
// message_merge.h) compare each new record with.
//
// Memory is bounded by what the window holds, not by the number of distinct keys ever seen:
// Advance() forgets records as they fall out of the window, and keys with them. Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace mxir::detect {

class RecentWindow {
 public:
  explicit RecentWindow(int64_t window_us) : window_us_(window_us) {}

  // Forgets the records more than the window older than `now`; `now` must not decrease.
  void Advance(int64_t now) {
    while (!fifo_.empty() && now - fifo_.front().ts > window_us_) {
      auto it = by_key_.find(fifo_.front().key);
      it->second.erase(it->second.begin());  // the key's oldest, as the fifo's front is
      if (it->second.empty()) by_key_.erase(it);
      fifo_.pop_front();
    }
  }
  // The kept records of `key` in the window, oldest first (nullptr when none).
  const std::vector<size_t>* Find(uint64_t key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : &it->second;
  }
  // Keeps record `index` of time `ts` (not older than the last Advance()).
  void Add(uint64_t key, size_t index, int64_t ts) {
    by_key_[key].push_back(index);
    fifo_.push_back(Item{ts, key});
  }

 private:
  struct Item {
    int64_t ts;
    uint64_t key;
  };
  int64_t window_us_;
  std::deque<Item> fifo_;
  std::unordered_map<uint64_t, std::vector<size_t>> by_key_;
};

}  // namespace mxir::detect
