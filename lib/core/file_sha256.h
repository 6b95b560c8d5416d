// FileSha256: the SHA-256 of a file, read and hashed in steps, so that hashing begun on one thread
// can be finished on another. BackgroundSha256 uses it to hash an input on a low-priority thread
// while the input is parsed (the `sources` record's hash, spec/events.md), without ever making
// the caller wait for a thread the machine gives no time: Finish() takes over what is left.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"

namespace mxir {

class FileSha256 {
 public:
  explicit FileSha256(std::string path);
  ~FileSha256();
  FileSha256(const FileSha256&) = delete;
  FileSha256& operator=(const FileSha256&) = delete;

  // Reads and hashes the file to its end, or until `stop` (checked between 64 KiB reads) is set;
  // returns whether the end was reached. Call again to go on. An error ends it (Hash()).
  bool Run(const std::atomic<bool>* stop = nullptr);
  // After Run() reached the end: the hash in lower-case hex, or what went wrong.
  Result<std::string> Hash();

 private:
  struct State;
  std::string path_;
  std::unique_ptr<State> s_;
};

class BackgroundSha256 {
 public:
  // Starts hashing `path` on a thread of its own at a lower priority (thread_priority.h); with
  // no thread to be had, Finish() does all of it.
  explicit BackgroundSha256(std::string path);
  ~BackgroundSha256();  // stops the thread where it is (the hash is dropped)
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  // The file's SHA-256: the thread is asked to stop where it is, and what it has not read yet is
  // read and hashed on the calling thread, at the caller's priority.
  Result<std::string> Finish();

 private:
  FileSha256 hash_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mxir
