// The seam between packet capture and protocol parsing (in lib/core so that neither module
// depends on the other).
//
// lib/capture turns packets into per-connection byte streams (both directions, in capture order,
// with gaps reported, never filled with fake bytes) and hands them to a StreamHandler, which a
// protocol module (lib/smtp) implements. Capture knows nothing of SMTP; SMTP knows nothing of
// packets. A handler is called from one thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/ip_address.h"
#include "core/timestamp.h"

namespace mxir::stream {

enum class Direction : uint8_t { kClientToServer, kServerToClient };

// Why a connection's stream ended (spec/events.md session_end.state).
enum class EndState : uint8_t {
  kClosed,     // FIN exchange (or FIN seen and the capture ended)
  kReset,      // RST
  kTimeout,    // idle longer than the idle timeout, or still open when the capture ended
  kTruncated,  // dropped by a memory or buffer limit (counted)
};
const char* EndStateName(EndState s);

struct FlowInfo {
  std::string id;  // stable session id, e.g. "C" + hash of 5-tuple and first packet time
  IpAddress client_ip, server_ip;
  uint16_t client_port = 0, server_port = 0;
  Timestamp first_seen;
  int64_t first_packet = 0;  // 1-based packet index in the input
  int input = 0;             // which input (0-based, in the order given) the first packet came from
  bool saw_syn = false;      // false: picked up mid-stream (capture began after the connection)
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // Bytes of one direction, in stream order. `packet` is the 1-based index of the packet whose
  // arrival made these bytes deliverable; `ts` its time.
  virtual void OnData(Direction dir, const uint8_t* data, size_t len, Timestamp ts,
                      int64_t packet) = 0;
  // `bytes` missing from one direction (lost from the capture, or skipped after a limit).
  virtual void OnGap(Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) = 0;
  // The connection is over; called exactly once, after which the handler is destroyed.
  virtual void OnEnd(EndState state, Timestamp ts, int64_t packet) = 0;
  // Heap bytes the handler holds for this connection (decoded commands waiting for replies,
  // ...): counted in the flow table's memory budget, so a flood of such state ends flows as
  // truncated instead of growing without bound. An estimate is fine.
  virtual size_t memory() const { return 0; }
};

class StreamHandlerFactory {
 public:
  virtual ~StreamHandlerFactory() = default;
  // A new TCP connection; return nullptr to ignore it (its packets are then only counted).
  virtual std::unique_ptr<StreamHandler> NewFlow(const FlowInfo& flow) = 0;
};

}  // namespace mxir::stream
