// Clock: where "now" comes from. Tools use DefaultClock(), which honours MXIR_NOW (RFC 3339)
// so tests can simulate days and weeks; library code takes a `const Clock&` so tests can pass a
// ManualClock. Thread-safe: Now() may be called from any thread.
#pragma once

#include <atomic>

#include "core/status.h"
#include "core/timestamp.h"

namespace mxir {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// The system clock, or the fixed time in MXIR_NOW when that is set.
class SystemClock final : public Clock {
 public:
  Timestamp Now() const override;
};

// A clock a test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp t) : us_(t.micros()) {}
  Timestamp Now() const override { return Timestamp::FromMicros(us_.load()); }
  void Set(Timestamp t) { us_ = t.micros(); }
  void Advance(int64_t us) { us_ += us; }

 private:
  std::atomic<int64_t> us_;
};

const Clock& DefaultClock();

// Checks MXIR_NOW once at tool start, so a typo is an error, not a silent fallback.
Status CheckNowOverride();

}  // namespace mxir
