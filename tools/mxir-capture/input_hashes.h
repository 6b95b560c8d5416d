// InputHashes: the SHA-256 of each input file (event provenance), computed on a second,
// low-priority thread while the capture runs, so hashing a gigabyte does not add to the run time
// on a multi-core machine; what that thread has not hashed when Wait() is called, the caller's
// thread finishes (core/file_sha256.h), so a busy machine never leaves it waiting. Nothing waits
// for it: events carry origin.sha256 only once it is known, and the case's `sources` record gets it
// after the run (RecordCaptureInCase).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/file_sha256.h"
#include "core/status.h"

namespace mxir::tools {

class InputHashes {
 public:
  explicit InputHashes(std::vector<std::string> files);
  InputHashes(const InputHashes&) = delete;
  InputHashes& operator=(const InputHashes&) = delete;

  bool ready() const { return hashes_.ready(); }
  // Every file hashed (the worker stops; the rest is hashed here); the first error if one could
  // not be read.
  Status Wait();
  // The hash of `file` (empty when unknown or not ready yet). Called from one thread.
  const std::string& Of(const std::string& file);

 private:
  void Collect();  // once ready: the hashes by file name, and the first error

  std::vector<std::string> files_;
  BackgroundSha256 hashes_;
  bool collected_ = false;
  std::map<std::string, std::string> sha_;
  Status status_;
};

}  // namespace mxir::tools
