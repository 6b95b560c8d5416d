// FlowTable: TCP connections by 4-tuple, each with a StreamHandler and two TcpReassemblers.
//
// A flow starts on a SYN, or on the first segment with data when the capture began in the middle
// of a connection (then the client is the side not on a server port: FlowInfo.saw_syn is false).
// It ends exactly once, through StreamHandler::OnEnd: FIN both ways (closed), RST (reset), idle
// longer than the idle timeout (timeout), the end of the capture (closed if a FIN was seen, else
// timeout), or a limit (truncated). Limits are explicit: the number of flows, a total memory
// budget (flow state plus held out-of-order bytes; a flow whose growth would exceed it ends as
// truncated) and the per-direction ReassemblyLimits.
//
// Ended flows stay a short while as tombstones so that their last ACKs do not start a
// "mid-stream" flow. Flows the factory declines are remembered and their packets only counted.
// Not thread-safe. Time is packet time (files may be old); the table never reads a clock.
#pragma once

#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "capture/packet_decoder.h"
#include "capture/stream_handler.h"
#include "capture/tcp_reassembler.h"
#include "core/counters.h"
#include "core/timestamp.h"

namespace mxir::capture {

struct FlowTableOptions {
  // Ports that mark the server side of a connection picked up mid-stream.
  std::vector<uint16_t> server_ports = {25, 465, 587, 2525};
  int64_t idle_timeout_us = 5 * kMicrosPerMinute;
  int64_t closed_linger_us = 10 * kMicrosPerSecond;  // tombstones of ended flows
  size_t max_flows = 1000000;
  size_t memory_budget_bytes = size_t{256} << 20;
  ReassemblyLimits reassembly;
};

// The run's flow-level counts (exported to Counters at the end; plain integers on the hot path).
struct FlowStats {
  int64_t flows = 0;             // connections tracked (handed to the factory)
  int64_t flows_ignored = 0;     // declined by the factory
  int64_t midstream_flows = 0;   // picked up without a SYN
  int64_t flows_over_limit = 0;  // not tracked: max_flows or the memory budget reached
  int64_t truncated_flows = 0;   // ended by the memory budget
  int64_t timed_out_flows = 0;
  int64_t reset_flows = 0;
  int64_t closed_flows = 0;
  int64_t segments_without_flow = 0;  // pure ACK/FIN/RST of a connection not being tracked
  ReassemblyStats reassembly;
  size_t peak_memory = 0;
};

class FlowTable {
 public:
  FlowTable(StreamHandlerFactory* factory, const FlowTableOptions& options);
  ~FlowTable();  // ends the remaining flows as if the capture ended (see Finish)
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // One decoded TCP segment. `input` is the index of the source it came from (FlowInfo.input).
  void OnSegment(const DecodedTcp& tcp, Timestamp ts, int64_t packet, int input);
  // Ends flows idle for longer than the idle timeout at packet time `now`.
  void ExpireIdle(Timestamp now);
  // The capture is over: flushes and ends every open flow.
  void Finish(Timestamp now, int64_t packet);

  size_t open_flows() const { return flows_.size(); }
  size_t memory_used() const { return memory_; }
  const FlowStats& stats() const { return stats_; }
  // Adds the stats under their counter names ("flows", "gaps", "truncated_flows", ...).
  void ExportCounters(Counters* counters) const;

 private:
  struct Key {
    uint8_t ip[2][16];
    uint16_t port[2];
    uint8_t v6;
    friend bool operator==(const Key& a, const Key& b) {
      return std::memcmp(&a, &b, sizeof(Key)) == 0;  // MakeKey zeroes the padding
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Flow;
  using FlowMap = std::unordered_map<Key, std::unique_ptr<Flow>, KeyHash>;

  // The normalised key of a segment; *src_is_first says whether its source is side 0.
  static Key MakeKey(const DecodedTcp& tcp, bool* src_is_first);
  Flow* Create(const Key& key, bool src_is_first, const DecodedTcp& tcp, Timestamp ts,
               int64_t packet, int input);
  void End(Flow* flow, EndState state, Timestamp ts, int64_t packet);
  void Erase(Flow* flow);
  void Touch(Flow* flow, Timestamp ts);
  void Account(Flow* flow);
  bool IsServerPort(uint16_t port) const;

  StreamHandlerFactory* factory_;
  FlowTableOptions options_;
  FlowMap flows_;
  std::list<Flow*> lru_;  // least recently active first
  size_t memory_ = 0;
  FlowStats stats_;
  Timestamp last_ts_;
  int64_t last_packet_ = 0;
};

}  // namespace mxir::capture
