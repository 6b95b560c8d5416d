// InputHashes: Sha256OfFile on a worker thread.
#include "input_hashes.h"

#include "core/file_util.h"
#include "core/thread_priority.h"

namespace mxir::tools {

InputHashes::InputHashes(std::vector<std::string> files) : files_(std::move(files)) {
  thread_ = std::thread([this] {
    RunInBackground();  // off the hot path in priority too (thread_priority.h)
    for (const auto& f : files_) {
      auto sha = Sha256OfFile(f);
      if (!sha.ok()) {
        if (status_.ok()) status_ = sha.error();
        continue;
      }
      sha_[f] = *sha;
    }
    ready_.store(true, std::memory_order_release);
  });
}

InputHashes::~InputHashes() {
  if (thread_.joinable()) thread_.join();
}

Status InputHashes::Wait() {
  if (thread_.joinable()) thread_.join();
  return status_;
}

const std::string& InputHashes::Of(const std::string& file) const {
  static const std::string kNone;
  if (!ready()) return kNone;
  auto it = sha_.find(file);
  return it == sha_.end() ? kNone : it->second;
}

}  // namespace mxir::tools
