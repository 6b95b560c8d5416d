#include "smtp/line_splitter.h"

#include <cstring>

#include "core/secret_fingerprint.h"

namespace mxir::smtp {
namespace {

std::string_view StripCr(const char* p, size_t n) {
  while (n > 0 && p[n - 1] == '\r') --n;
  return {p, n};
}

}  // namespace

bool LineSplitter::Next(const uint8_t** pos, const uint8_t* end, std::string_view* line,
                        bool* truncated) {
  if (returned_) {
    partial_.clear();
    returned_ = false;
  }
  const uint8_t* p = *pos;
  if (p >= end) return false;
  const auto* lf = static_cast<const uint8_t*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  const size_t n = static_cast<size_t>((lf ? lf : end) - p);

  if (discarding_) {
    *pos = lf ? lf + 1 : end;
    if (!lf) return false;
    discarding_ = false;
    returned_ = true;
    *truncated = true;
    *line = StripCr(partial_.data(), partial_.size());
    return true;
  }
  if (partial_.empty() && lf && n <= max_line_) {  // the fast path: no copy
    *pos = lf + 1;
    *truncated = false;
    *line = StripCr(reinterpret_cast<const char*>(p), n);
    return true;
  }
  const size_t room = max_line_ > partial_.size() ? max_line_ - partial_.size() : 0;
  if (n > room) {
    partial_.append(reinterpret_cast<const char*>(p), room);
    if (!lf) {
      discarding_ = true;
      *pos = end;
      return false;
    }
    *pos = lf + 1;
    returned_ = true;
    *truncated = true;
    *line = StripCr(partial_.data(), partial_.size());
    return true;
  }
  partial_.append(reinterpret_cast<const char*>(p), n);
  if (!lf) {
    *pos = end;
    return false;
  }
  *pos = lf + 1;
  returned_ = true;
  *truncated = false;
  *line = StripCr(partial_.data(), partial_.size());
  return true;
}

bool LineSplitter::TakePartial(std::string_view* line) {
  if (returned_) {
    partial_.clear();
    returned_ = false;
  }
  discarding_ = false;
  if (partial_.empty()) return false;
  returned_ = true;
  *line = StripCr(partial_.data(), partial_.size());
  return true;
}

void LineSplitter::WipeLast() {
  if (returned_) SecureWipe(partial_);
}

void LineSplitter::Reset() {
  partial_.clear();
  discarding_ = false;
  returned_ = false;
}

}  // namespace mxir::smtp
