// EndStateName: the spec/events.md names of the ways a connection's stream ends.
#include "core/stream_handler.h"

namespace mxir::stream {

const char* EndStateName(EndState s) {
  switch (s) {
    case EndState::kClosed:
      return "closed";
    case EndState::kReset:
      return "reset";
    case EndState::kTimeout:
      return "timeout";
    case EndState::kTruncated:
      return "truncated";
  }
  return "unknown";
}

}  // namespace mxir::stream
