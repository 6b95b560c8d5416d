#include "core/progress.h"

#include <cstdio>

#include <unistd.h>

namespace mxir {

Progress::Progress(std::string label, uint64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (drawn_) std::fputs("\r\033[K", stderr);
}

void Progress::Draw(uint64_t done, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  if (total_ > 0) {
    std::fprintf(stderr, "\r\033[K%s: %5.1f%% (%llu of %llu %s, %.0f/s)", label_.c_str(),
                 100.0 * static_cast<double>(done) / static_cast<double>(total_),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 unit_.c_str(), rate);
  } else {
    std::fprintf(stderr, "\r\033[K%s: %llu %s (%.0f/s)", label_.c_str(),
                 static_cast<unsigned long long>(done), unit_.c_str(), rate);
  }
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish(uint64_t done) {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace mxir
