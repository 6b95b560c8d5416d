// Test helper: a StreamHandlerFactory that records what each flow received.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capture/stream_handler.h"

namespace mxir::capture::testing {

struct FlowRecord {
  FlowInfo info;
  std::string c2s, s2c;            // delivered bytes; a gap appears as "[gap N]"
  std::vector<std::string> calls;  // "data c2s 5", "gap s2c 3", "end reset"
  int ends = 0;
  EndState state = EndState::kClosed;
  std::vector<int64_t> packets;  // packet index of every call
};

class RecordingFactory : public StreamHandlerFactory {
 public:
  std::unique_ptr<StreamHandler> NewFlow(const FlowInfo& info) override;
  std::vector<std::shared_ptr<FlowRecord>> flows;
  bool decline = false;
};

}  // namespace mxir::capture::testing
