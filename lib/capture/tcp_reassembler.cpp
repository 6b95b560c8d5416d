// TcpReassembler: sequence numbers to stream offsets, in-order delivery, held out-of-order
// segments, gaps.
#include "capture/tcp_reassembler.h"

#include <algorithm>

namespace mxir::capture {

void TcpReassembler::Start(uint32_t first_seq) {
  if (started_) return;
  started_ = true;
  base_seq_ = first_seq;
  delivered_ = 0;
}

bool TcpReassembler::ToOffset(uint32_t seq, int64_t* offset) const {
  uint32_t expected = base_seq_ + static_cast<uint32_t>(delivered_);
  int32_t diff = static_cast<int32_t>(seq - expected);
  if (diff > 0 && static_cast<uint32_t>(diff) > limits_->max_seq_jump) return false;
  *offset = static_cast<int64_t>(delivered_) + diff;
  return true;
}

void TcpReassembler::Deliver(const uint8_t* data, size_t len, const Delivery& to) {
  if (len == 0) return;
  delivered_ += len;
  if (to.handler != nullptr) to.handler->OnData(to.dir, data, len, to.ts, to.packet);
}

void TcpReassembler::Gap(uint64_t bytes, const Delivery& to) {
  if (bytes == 0) return;
  delivered_ += bytes;
  ++stats_->gaps;
  stats_->gap_bytes += static_cast<int64_t>(bytes);
  if (to.handler != nullptr) to.handler->OnGap(to.dir, bytes, to.ts, to.packet);
}

void TcpReassembler::Drain(const Delivery& to) {
  while (!held_.empty()) {
    auto it = held_.begin();
    if (it->first > delivered_) break;
    uint64_t end = it->first + it->second.size();
    if (end > delivered_) {
      Deliver(it->second.data() + (delivered_ - it->first), end - delivered_, to);
    }
    held_bytes_ -= it->second.size();
    held_.erase(it);
  }
  memory_ = held_bytes_ + held_.size() * kSegmentOverhead;
}

void TcpReassembler::SkipToHeld(const Delivery& to) {
  if (held_.empty()) return;
  uint64_t first = held_.begin()->first;
  if (first > delivered_) Gap(first - delivered_, to);
  Drain(to);
}

void TcpReassembler::AddSegment(uint32_t seq, const uint8_t* data, uint32_t len, uint32_t missing,
                                const Delivery& to) {
  if (len == 0 && missing == 0) return;
  if (!started_) Start(seq);
  int64_t off = 0;
  if (!ToOffset(seq, &off)) {
    ++stats_->out_of_window_segments;
    return;
  }
  int64_t end = off + len;
  int64_t full_end = end + missing;
  int64_t delivered = static_cast<int64_t>(delivered_);
  if (full_end <= delivered) {
    ++stats_->retransmitted_segments;
    return;
  }
  if (off <= delivered) {
    // Continues the stream. Bytes already delivered or already held keep their first copy.
    while (static_cast<int64_t>(delivered_) < end) {
      if (!held_.empty() && held_.begin()->first <= delivered_) {
        Drain(to);
        continue;
      }
      uint64_t limit = static_cast<uint64_t>(end);
      if (!held_.empty()) limit = std::min(limit, held_.begin()->first);
      Deliver(data + (static_cast<int64_t>(delivered_) - off), limit - delivered_, to);
    }
    if (full_end > static_cast<int64_t>(delivered_)) {  // cut by the snap length
      uint64_t limit = static_cast<uint64_t>(full_end);
      if (!held_.empty()) limit = std::min(limit, held_.begin()->first);
      if (limit > delivered_) Gap(limit - delivered_, to);
    }
    Drain(to);
    return;
  }
  ++stats_->out_of_order_segments;
  if (len == 0) return;  // only bytes the capture lacks: the hole is found later
  auto [it, inserted] = held_.try_emplace(static_cast<uint64_t>(off));
  if (!inserted) {
    if (it->second.size() >= len) {
      ++stats_->retransmitted_segments;
      return;
    }
    held_bytes_ -= it->second.size();
  }
  it->second.assign(data, data + len);
  held_bytes_ += len;
  memory_ = held_bytes_ + held_.size() * kSegmentOverhead;
  while (!held_.empty() && (held_bytes_ > limits_->max_buffered_bytes ||
                            held_.size() > limits_->max_buffered_segments)) {
    ++stats_->forced_skips;
    SkipToHeld(to);
  }
}

void TcpReassembler::Acknowledged(uint32_t ack, const Delivery& to) {
  if (!started_) return;
  int64_t target = 0;
  if (!ToOffset(ack, &target)) return;
  if (fin_offset_ >= 0 && target > fin_offset_) target = fin_offset_;  // the FIN takes a number
  while (static_cast<int64_t>(delivered_) < target) {
    if (!held_.empty() && held_.begin()->first <= delivered_) {
      Drain(to);
      continue;
    }
    uint64_t next = static_cast<uint64_t>(target);
    if (!held_.empty()) next = std::min(next, held_.begin()->first);
    Gap(next - delivered_, to);
  }
  Drain(to);
}

void TcpReassembler::SetFin(uint32_t seq) {
  if (!started_) Start(seq);
  if (fin_offset_ >= 0) return;
  int64_t off = 0;
  if (ToOffset(seq, &off) && off >= 0) fin_offset_ = off;
}

void TcpReassembler::Flush(const Delivery& to) {
  while (!held_.empty()) SkipToHeld(to);
  if (fin_offset_ > static_cast<int64_t>(delivered_)) {
    Gap(static_cast<uint64_t>(fin_offset_) - delivered_, to);
  }
}

void TcpReassembler::Clear() {
  held_.clear();
  held_bytes_ = 0;
  memory_ = 0;
}

}  // namespace mxir::capture
