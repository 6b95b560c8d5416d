// TcpReassembler: one direction of a TCP connection turned back into an ordered byte stream.
//
// Segments are placed by sequence number on a 64-bit stream offset (so the 32-bit sequence may
// wrap any number of times). In-order bytes are handed straight to the StreamHandler without a
// copy; only out-of-order segments are copied and held, within explicit limits. Retransmitted
// and overlapping bytes are delivered once (the first copy wins). Bytes the capture lacks become
// OnGap calls, never fake data: when the peer acknowledges past them, when the per-direction
// buffer limit forces a skip, when a segment's tail was cut by the snap length, or at the end.
//
// Not thread-safe; owned by its flow. memory() is what it holds, for the flow table's budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "capture/stream_handler.h"

namespace mxir::capture {

struct ReassemblyLimits {
  size_t max_buffered_bytes = 1 << 20;  // out-of-order bytes held per direction
  size_t max_buffered_segments = 1024;  // out-of-order segments held per direction
  // A segment starting further than this beyond the next expected byte is not believed (a
  // corrupt or foreign sequence number) and is dropped.
  uint32_t max_seq_jump = 64u << 20;
};

// Where and when delivered bytes go: the flow's handler, this direction, the current packet.
struct Delivery {
  StreamHandler* handler = nullptr;
  Direction dir = Direction::kClientToServer;
  Timestamp ts;
  int64_t packet = 0;
};

// Per-direction statistics the flow table sums into the run's counters.
struct ReassemblyStats {
  int64_t gaps = 0, gap_bytes = 0;
  int64_t retransmitted_segments = 0, out_of_order_segments = 0, out_of_window_segments = 0;
  int64_t forced_skips = 0;  // gaps made because a buffer limit was reached
};

class TcpReassembler {
 public:
  explicit TcpReassembler(const ReassemblyLimits& limits, ReassemblyStats* stats)
      : limits_(&limits), stats_(stats) {}

  bool started() const { return started_; }
  // The sequence number of the first byte of the stream (ISN + 1 after a SYN, or the first
  // data segment's sequence number when the capture began mid-stream).
  void Start(uint32_t first_seq);

  // A segment: `len` captured bytes at `seq`, followed by `missing` bytes cut by the snap length.
  void AddSegment(uint32_t seq, const uint8_t* data, uint32_t len, uint32_t missing,
                  const Delivery& to);
  // The peer acknowledged everything before `ack`: what is still missing before it is a gap.
  void Acknowledged(uint32_t ack, const Delivery& to);
  // A FIN at sequence `seq` (the number after the last data byte).
  void SetFin(uint32_t seq);
  bool fin_seen() const { return fin_offset_ >= 0; }
  // FIN seen and every byte before it delivered or reported missing.
  bool finished() const {
    return fin_offset_ >= 0 && static_cast<int64_t>(delivered_) >= fin_offset_;
  }
  // End of the stream: hand over everything held, with gaps for the holes between.
  void Flush(const Delivery& to);
  // Drops everything held (after a limit ended the flow).
  void Clear();

  uint64_t delivered() const { return delivered_; }
  size_t memory() const { return memory_; }

 private:
  // Stream offset of `seq`, relative to what was delivered; false when out of window.
  bool ToOffset(uint32_t seq, int64_t* offset) const;
  void Deliver(const uint8_t* data, size_t len, const Delivery& to);
  void Gap(uint64_t bytes, const Delivery& to);
  // Hands over held segments that now continue the stream.
  void Drain(const Delivery& to);
  // Skips the hole before the first held segment (a gap) and drains.
  void SkipToHeld(const Delivery& to);

  static constexpr size_t kSegmentOverhead = 96;  // map node + vector header, roughly

  const ReassemblyLimits* limits_;
  ReassemblyStats* stats_;
  bool started_ = false;
  uint32_t base_seq_ = 0;    // sequence number of stream offset 0
  uint64_t delivered_ = 0;   // stream offset of the next byte to deliver
  int64_t fin_offset_ = -1;  // stream offset of the FIN, -1 before one is seen
  std::map<uint64_t, std::vector<uint8_t>> held_;  // out-of-order segments by stream offset
  size_t held_bytes_ = 0;
  size_t memory_ = 0;
};

}  // namespace mxir::capture
