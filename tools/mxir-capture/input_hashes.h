// InputHashes: the SHA-256 of each input file (event provenance), computed on a second thread
// while the capture runs, so hashing a gigabyte does not add to the run time on a multi-core
// machine. Nothing waits for it: events carry origin.sha256 only once it is known, and the case's
// `sources` record gets it after the run (RecordCaptureInCase).
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace mxir::tools {

class InputHashes {
 public:
  explicit InputHashes(std::vector<std::string> files);
  ~InputHashes();  // waits for the thread
  InputHashes(const InputHashes&) = delete;
  InputHashes& operator=(const InputHashes&) = delete;

  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Blocks until every file is hashed; the first error if one could not be read.
  Status Wait();
  // The hash of `file` (empty when unknown or not ready). Only after ready() or Wait().
  const std::string& Of(const std::string& file) const;

 private:
  std::vector<std::string> files_;
  std::map<std::string, std::string> sha_;
  Status status_;
  std::atomic<bool> ready_{false};
  std::thread thread_;
};

}  // namespace mxir::tools
