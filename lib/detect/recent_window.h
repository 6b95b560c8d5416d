// RecentWindow: for records read in time order, the ones kept within the last `window`
// microseconds, grouped by a 64-bit key — what the cross-source merges (auth_merge.h,
// message_merge.h) compare each new record with.
//
// Memory is bounded by what the window holds, not by the number of distinct keys ever seen:
// Advance() forgets records as they fall out of the window, and keys with them. The records of
// a key are chained through the window's own queue, so keeping one allocates nothing but its
// queue entry (and a map entry for a new key). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <unordered_map>

namespace mxir::detect {

class RecentWindow {
 public:
  explicit RecentWindow(int64_t window_us) : window_us_(window_us) {}

  // Forgets the records more than the window older than `now`; `now` must not decrease.
  void Advance(int64_t now) {
    while (!fifo_.empty() && now - fifo_.front().ts > window_us_) {
      const Item& old = fifo_.front();
      auto it = chains_.find(old.key);  // the key's oldest record is the queue's front
      if (old.next == kEnd) {
        chains_.erase(it);
      } else {
        it->second.first = old.next;
      }
      fifo_.pop_front();
      ++base_;
    }
  }
  // Calls fn(index) for the kept records of `key`, oldest first, until fn returns true;
  // returns whether one did.
  template <typename Fn>
  bool AnyOf(uint64_t key, Fn&& fn) const {
    auto it = chains_.find(key);
    if (it == chains_.end()) return false;
    for (uint64_t seq = it->second.first; seq != kEnd; seq = fifo_[seq - base_].next) {
      if (fn(fifo_[seq - base_].index)) return true;
    }
    return false;
  }
  // Keeps record `index` of time `ts` (not older than the last Advance()).
  void Add(uint64_t key, size_t index, int64_t ts) {
    const uint64_t seq = base_ + fifo_.size();
    fifo_.push_back(Item{ts, key, index, kEnd});
    auto [it, added] = chains_.try_emplace(key, Chain{seq, seq});
    if (!added) {
      fifo_[it->second.last - base_].next = seq;
      it->second.last = seq;
    }
  }

 private:
  static constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();
  struct Item {
    int64_t ts;
    uint64_t key;
    size_t index;
    uint64_t next;  // sequence number of the key's next record, or kEnd
  };
  struct Chain {
    uint64_t first, last;  // sequence numbers
  };
  int64_t window_us_;
  std::deque<Item> fifo_;
  uint64_t base_ = 0;  // sequence number of fifo_.front()
  std::unordered_map<uint64_t, Chain> chains_;
};

}  // namespace mxir::detect
