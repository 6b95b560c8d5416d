#include "detect/message_merge.h"

#include <algorithm>
#include <unordered_map>

#include "detect/recent_window.h"

namespace mxir::detect {

namespace {

uint64_t RecipientKey(const MessageRec& m, const std::vector<RecipientRef>& rcpts,
                      std::vector<uint32_t>& a) {  // a: scratch, reused
  a.clear();
  for (uint32_t i = 0; i < m.rcpt_count; ++i) a.push_back(rcpts[m.rcpt_begin + i].address);
  std::sort(a.begin(), a.end());
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
  };
  mix(m.client);
  mix(m.sender);
  for (uint32_t x : a) mix(x);
  return h;
}

void Fold(MessageRec& keep, const MessageRec& other) {
  if (keep.user == kNone) {
    keep.user = other.user;
    keep.from_mismatch = other.from_mismatch;
  }
  if (keep.subject == kNone) keep.subject = other.subject;
  if (keep.sender_domain == kNone) keep.sender_domain = other.sender_domain;
  if (keep.msg_id == kNone) keep.msg_id = other.msg_id;
  if (!keep.from_mismatch && other.from_mismatch && other.user == keep.user) {
    keep.from_mismatch = true;
  }
  keep.sources |= other.sources;
}

}  // namespace

int64_t MergeMessages(const std::vector<MessageRec>& in, const std::vector<RecipientRef>& rcpts,
                      double window_s, std::vector<MessageRec>* out_messages) {
  std::vector<MessageRec>& v = *out_messages;
  v.clear();
  if (v.capacity() < in.size()) v.reserve(in.size() + in.size() / 4);  // as MergeAuthAttempts
  const int64_t window_us = static_cast<int64_t>(window_s * 1e6);
  // Message-ID -> the first kept message with it; next_same_id chains the others.
  std::unordered_map<uint32_t, uint32_t> first_by_id;
  std::vector<uint32_t> next_same_id;
  RecentWindow by_shape(window_us);  // recipients key -> recent kept
  std::vector<uint32_t> scratch;
  size_t out = 0;
  int64_t folded = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const MessageRec& m = in[i];
    bool merged = false;
    if (m.msg_id != kNone) {
      auto it = first_by_id.find(m.msg_id);
      for (uint32_t k = it == first_by_id.end() ? kNone : it->second; k != kNone;
           k = next_same_id[k]) {
        if ((v[k].sources & m.sources) == 0) {
          Fold(v[k], m);
          merged = true;
          break;
        }
      }
    }
    uint64_t shape = RecipientKey(m, rcpts, scratch);
    if (!merged && window_us > 0) {
      by_shape.Advance(m.ts);
      merged = by_shape.AnyOf(shape, [&](size_t k) {
        bool ids_conflict = v[k].msg_id != kNone && m.msg_id != kNone && v[k].msg_id != m.msg_id;
        if ((v[k].sources & m.sources) != 0 || ids_conflict) return false;
        Fold(v[k], m);
        return true;
      });
    }
    if (merged) {
      ++folded;
      continue;
    }
    v.push_back(m);
    next_same_id.push_back(kNone);
    if (m.msg_id != kNone) {
      auto [it, added] = first_by_id.emplace(m.msg_id, static_cast<uint32_t>(out));
      if (!added) {  // append to the end of the chain: the earliest kept is tried first
        uint32_t k = it->second;
        while (next_same_id[k] != kNone) k = next_same_id[k];
        next_same_id[k] = static_cast<uint32_t>(out);
      }
    }
    if (window_us > 0) by_shape.Add(shape, out, m.ts);
    ++out;
  }
  return folded;
}

}  // namespace mxir::detect
