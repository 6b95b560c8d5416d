// Progress: a one-line progress display on stderr for long work, shown only when stderr is a
// terminal (never in pipes, files or CI logs). Updates are rate-limited (5 per second) and cost
// nothing when stderr is not a terminal. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mxir {

class Progress {
 public:
  // `total` 0 means unknown (then only the count and rate are shown).
  Progress(std::string label, uint64_t total = 0, std::string unit = "");
  ~Progress();

  void Update(uint64_t done) {
    if (!enabled_) return;
    Draw(done, false);
  }
  void Finish(uint64_t done);
  bool enabled() const { return enabled_; }
  // Forces display on or off (tests).
  void set_enabled(bool on) { enabled_ = on; }

 private:
  void Draw(uint64_t done, bool force);

  std::string label_, unit_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace mxir
