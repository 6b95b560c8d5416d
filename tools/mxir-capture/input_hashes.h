// InputHashes: the SHA-256 of each input file (event provenance), computed on a second,
// low-priority thread while the capture runs, so hashing a gigabyte does not add to the run time
// on a multi-core machine; what that thread has not hashed when Wait() is called, the caller's
// thread finishes (core/file_sha256.h), so a busy machine never leaves it waiting. Nothing waits
// for it: events carry origin.sha256 only once it is known, and the case's `sources` record gets it
// after the run (RecordCaptureInCase).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/file_sha256.h"
#include "core/status.h"

namespace mxir::tools {

class InputHashes {
 public:
  explicit InputHashes(std::vector<std::string> files);
  ~InputHashes();  // stops the thread where it is
  InputHashes(const InputHashes&) = delete;
  InputHashes& operator=(const InputHashes&) = delete;

  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Every file hashed (the worker stops; the rest is hashed here); the first error if one could
  // not be read.
  Status Wait();
  // The hash of `file` (empty when unknown or not ready). Only after ready() or Wait().
  const std::string& Of(const std::string& file) const;

 private:
  // Hashes files from the i-th on (until `stop`); true when all are done.
  bool HashFrom(size_t i, const std::atomic<bool>* stop);

  std::vector<std::string> files_;
  std::vector<std::unique_ptr<FileSha256>> hashes_;
  size_t next_ = 0;  // the file the worker stopped in (read after joining it)
  std::atomic<bool> stop_{false};
  std::map<std::string, std::string> sha_;
  Status status_;
  std::atomic<bool> ready_{false};
  std::thread thread_;
};

}  // namespace mxir::tools
