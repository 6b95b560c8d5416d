// EvidenceOrder: the order evidence is kept in — by time, and records of the same time by their
// content (login attempts: the sources' names, the client's address, the account, the outcome,
// the secret's fingerprint; hosted logins and mailbox changes: the account, the address, the
// result or operation), never by the ids the interners gave in the order events arrived. So the
// same events give the same order, the same merges across logs and the same findings whatever order
// they came in (a rotated log read after the current one, a second server's log stored later, a
// detect --follow pass picking up older records).
//
// SortAfterSettled: sorts `v` when records were added behind an already sorted run (input
// usually arrives in time order: checking is much cheaper than sorting again; after an earlier
// detect --follow pass only the records added since may be out of order). The sorted run is kept,
// the rest sorted and merged into it — the order a stable sort of the whole gives (the settled
// records first among equals). The merge copies only the added records aside (few in a --follow
// pass) and fills from the back, moving each settled record once; std::inplace_merge would take a
// buffer as large as the whole.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

#include "detect/evidence.h"

namespace mxir::detect {

// Cheap to copy (the sort algorithms copy their comparator).
class EvidenceOrder {
 public:
  explicit EvidenceOrder(const Evidence& ev);
  bool operator()(const AuthAttempt& a, const AuthAttempt& b) const;
  bool operator()(const HostedLoginRec& a, const HostedLoginRec& b) const;
  bool operator()(const MailboxChangeRec& a, const MailboxChangeRec& b) const;

 private:
  uint64_t ByName(uint32_t sources) const;  // the bit mask with bits ranked by source name
  // -1, 0, 1 by content; kNone (no such member) first.
  int CompareClients(uint32_t a, uint32_t b) const;
  static int CompareTexts(const Interner& in, uint32_t a, uint32_t b);

  const Evidence* ev_;
  // Evidence::sources index -> rank of its name (AuthAttempt::sources is a 32-bit mask).
  std::array<uint8_t, 32> source_rank_{};
};

template <typename T, typename Less>
void SortAfterSettled(std::vector<T>& v, Less less) {
  auto unsorted = std::is_sorted_until(v.begin(), v.end(), less);
  if (unsorted == v.end()) return;
  std::stable_sort(unsorted, v.end(), less);
  const size_t settled = static_cast<size_t>(unsorted - v.begin());
  if (v.size() - settled > settled) {
    std::inplace_merge(v.begin(), unsorted, v.end(), less);
    return;
  }
  std::vector<T> added(std::make_move_iterator(unsorted), std::make_move_iterator(v.end()));
  size_t i = settled, j = added.size(), w = v.size();
  while (j > 0) {
    // Equal records: the settled one first (stable), so an added one goes behind it.
    if (i > 0 && less(added[j - 1], v[i - 1])) {
      v[--w] = std::move(v[--i]);
    } else {
      v[--w] = std::move(added[--j]);
    }
  }
}

}  // namespace mxir::detect
