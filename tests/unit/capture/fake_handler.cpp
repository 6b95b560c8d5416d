// Test helper: RecordingFactory (see fake_handler.h).
#include "fake_handler.h"

namespace mxir::capture::testing {
namespace {

class RecordingHandler : public StreamHandler {
 public:
  explicit RecordingHandler(std::shared_ptr<FlowRecord> r) : r_(std::move(r)) {}
  void OnData(Direction dir, const uint8_t* data, size_t len, Timestamp ts,
              int64_t packet) override {
    std::string& s = dir == Direction::kClientToServer ? r_->c2s : r_->s2c;
    s.append(reinterpret_cast<const char*>(data), len);
    r_->calls.push_back(std::string("data ") + Name(dir) + " " + std::to_string(len));
    r_->packets.push_back(packet);
  }
  void OnGap(Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) override {
    std::string& s = dir == Direction::kClientToServer ? r_->c2s : r_->s2c;
    s += "[gap " + std::to_string(bytes) + "]";
    r_->calls.push_back(std::string("gap ") + Name(dir) + " " + std::to_string(bytes));
    r_->packets.push_back(packet);
  }
  void OnEnd(EndState state, Timestamp ts, int64_t packet) override {
    ++r_->ends;
    r_->state = state;
    r_->calls.push_back(std::string("end ") + EndStateName(state));
  }

 private:
  static const char* Name(Direction d) { return d == Direction::kClientToServer ? "c2s" : "s2c"; }
  std::shared_ptr<FlowRecord> r_;
};

}  // namespace

std::unique_ptr<StreamHandler> RecordingFactory::NewFlow(const FlowInfo& info) {
  if (decline) return nullptr;
  auto r = std::make_shared<FlowRecord>();
  r->info = info;
  flows.push_back(r);
  return std::make_unique<RecordingHandler>(r);
}

}  // namespace mxir::capture::testing
