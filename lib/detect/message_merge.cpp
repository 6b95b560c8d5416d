#include "detect/message_merge.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

namespace mxir::detect {

namespace {

uint64_t RecipientKey(const MessageRec& m, const std::vector<RecipientRef>& rcpts) {
  std::vector<uint32_t> a;
  a.reserve(m.rcpt_count);
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

int64_t MergeMessages(std::vector<MessageRec>* messages, const std::vector<RecipientRef>& rcpts,
                      double window_s) {
  std::vector<MessageRec>& v = *messages;
  const int64_t window_us = static_cast<int64_t>(window_s * 1e6);
  std::unordered_map<uint32_t, std::vector<size_t>> by_id;    // msg id -> kept indexes
  std::unordered_map<uint64_t, std::deque<size_t>> by_shape;  // recipients key -> recent kept
  size_t out = 0;
  int64_t folded = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    MessageRec m = v[i];
    bool merged = false;
    if (m.msg_id != kNone) {
      for (size_t k : by_id[m.msg_id]) {
        if ((v[k].sources & m.sources) == 0) {
          Fold(v[k], m);
          merged = true;
          break;
        }
      }
    }
    uint64_t shape = RecipientKey(m, rcpts);
    if (!merged && window_us > 0) {
      auto& q = by_shape[shape];
      while (!q.empty() && m.ts - v[q.front()].ts > window_us) q.pop_front();
      for (size_t k : q) {
        bool ids_conflict = v[k].msg_id != kNone && m.msg_id != kNone && v[k].msg_id != m.msg_id;
        if ((v[k].sources & m.sources) == 0 && !ids_conflict) {
          Fold(v[k], m);
          merged = true;
          break;
        }
      }
    }
    if (merged) {
      ++folded;
      continue;
    }
    v[out] = m;
    if (m.msg_id != kNone) by_id[m.msg_id].push_back(out);
    by_shape[shape].push_back(out);
    ++out;
  }
  v.resize(out);
  return folded;
}

}  // namespace mxir::detect
