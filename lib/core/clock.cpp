#include "core/clock.h"

#include <chrono>
#include <cstdlib>

namespace mxir {

Timestamp SystemClock::Now() const {
  if (const char* env = std::getenv("MXIR_NOW"); env && *env) {
    auto t = ParseTimestamp(env);
    if (t.ok()) return *t;
  }
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return Timestamp::FromMicros(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

const Clock& DefaultClock() {
  static const SystemClock clock;
  return clock;
}

Status CheckNowOverride() {
  if (const char* env = std::getenv("MXIR_NOW"); env && *env) {
    auto t = ParseTimestamp(env);
    if (!t.ok()) return t.error().WithContext("MXIR_NOW");
  }
  return Status::Ok();
}

}  // namespace mxir
