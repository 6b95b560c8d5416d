// RunCapture: the capture loop — packets from a PacketSource, decoded, into a FlowTable whose
// StreamHandlers (from the caller's factory) receive the reassembled streams.
//
// Counts everything into Counters (spec/cli.md --stats): "packets", "bytes" (captured bytes),
// "tcp_packets", "skipped.<not_ip|not_tcp>", "ip_fragments", "decode_errors.<reason>", the flow
// table's counters (flows, gaps, truncated_flows, ...) and, live, "kernel_drops" and
// "interface_drops". Every open flow is ended (and so flushed) before it returns, also when the
// source stops on a signal. Warnings (a file that breaks off) are appended to *warnings.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "capture/flow_table.h"
#include "capture/live_source.h"
#include "capture/packet_source.h"
#include "core/counters.h"
#include "core/status.h"

namespace mxir::capture {

struct CaptureOptions {
  FlowTableOptions flows;
  // Called now and then with the bytes read so far (progress display); may be empty.
  std::function<void(uint64_t)> progress;
  PcapWriter* writer = nullptr;  // keeps every packet read (--write), may be null
  // Set (e.g. by a SIGINT handler) to stop early; the flows seen so far are still ended.
  const std::atomic<bool>* stop = nullptr;
};

Status RunCapture(PacketSource& source, StreamHandlerFactory* factory,
                  const CaptureOptions& options, Counters* counters,
                  std::vector<std::string>* warnings);

}  // namespace mxir::capture
