#include "core/interrupt.h"

#include <csignal>

namespace mxir {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

}  // namespace

const std::atomic<bool>& InstallInterruptHandler() {
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  return g_interrupted;
}

const std::atomic<bool>& InterruptFlag() { return g_interrupted; }

std::string InterruptedMessage(int64_t count, const std::string& what, const std::string& kept) {
  return "interrupted after " + std::to_string(count) + " " + what +
         (kept.empty() ? "" : " (" + kept + ")") + "; run the same command again to continue";
}

}  // namespace mxir
