// InputHashes: the files' BackgroundSha256, by file name.
#include "input_hashes.h"

namespace mxir::tools {

InputHashes::InputHashes(std::vector<std::string> files) : files_(files), hashes_(files) {}

void InputHashes::Collect() {
  if (collected_) return;
  collected_ = true;
  for (size_t i = 0; i < files_.size(); ++i) {
    auto sha = hashes_.Of(i);
    if (!sha.ok()) {
      if (status_.ok()) status_ = sha.error();
      continue;
    }
    sha_[files_[i]] = *sha;
  }
}

Status InputHashes::Wait() {
  hashes_.FinishAll();
  Collect();
  return status_;
}

const std::string& InputHashes::Of(const std::string& file) {
  static const std::string kNone;
  if (!ready()) return kNone;
  Collect();
  auto it = sha_.find(file);
  return it == sha_.end() ? kNone : it->second;
}

}  // namespace mxir::tools
