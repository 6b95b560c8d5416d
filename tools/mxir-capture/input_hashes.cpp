// InputHashes: FileSha256 of each input on a low-priority worker thread; Wait() finishes what the
// worker has not done on the caller's thread.
#include "input_hashes.h"

#include <system_error>

#include "core/thread_priority.h"

namespace mxir::tools {

InputHashes::InputHashes(std::vector<std::string> files) : files_(std::move(files)) {
  for (const auto& f : files_) hashes_.push_back(std::make_unique<FileSha256>(f));
  try {
    thread_ = std::thread([this] {
      RunInBackground();  // off the hot path in priority too (thread_priority.h)
      if (HashFrom(0, &stop_)) ready_.store(true, std::memory_order_release);
    });
  } catch (const std::system_error&) {
    // No second thread: Wait() hashes them all.
  }
}

InputHashes::~InputHashes() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

bool InputHashes::HashFrom(size_t i, const std::atomic<bool>* stop) {
  for (; i < hashes_.size(); ++i) {
    if (!hashes_[i]->Run(stop)) {
      next_ = i;  // stopped in the middle of this one
      return false;
    }
    auto sha = hashes_[i]->Hash();
    if (!sha.ok()) {
      if (status_.ok()) status_ = sha.error();
      continue;
    }
    sha_[files_[i]] = *sha;
  }
  next_ = hashes_.size();
  return true;
}

Status InputHashes::Wait() {
  if (ready()) return status_;
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
  if (!ready()) {
    (void)HashFrom(next_, nullptr);  // what the worker left, here
    ready_.store(true, std::memory_order_release);
  }
  return status_;
}

const std::string& InputHashes::Of(const std::string& file) const {
  static const std::string kNone;
  if (!ready()) return kNone;
  auto it = sha_.find(file);
  return it == sha_.end() ? kNone : it->second;
}

}  // namespace mxir::tools
