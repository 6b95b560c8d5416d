// Interrupt: Ctrl-C (SIGINT) or SIGTERM as a request to stop long work cleanly. A tool installs
// the handler, its loops check Interrupted() every few thousand records, and it then keeps what
// it has (commits to the case), records the interruption in the audit trail, tells the user
// "interrupted after N events (committed); run the same command again to continue" and exits
// with kExitInterrupted (128 + SIGINT, as shells report a Ctrl-C).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mxir {

inline constexpr int kExitInterrupted = 130;

// Installs the SIGINT/SIGTERM handler; returns the flag it sets.
const std::atomic<bool>& InstallInterruptHandler();
// The flag (false until a signal arrives, or when no handler was installed).
const std::atomic<bool>& InterruptFlag();
inline bool Interrupted() { return InterruptFlag().load(std::memory_order_relaxed); }

// "interrupted after 660000 events (committed); run the same command again to continue"
std::string InterruptedMessage(int64_t count, const std::string& what, const std::string& kept);

}  // namespace mxir
