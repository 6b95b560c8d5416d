// FileSha256: the SHA-256 of a file, read and hashed in steps, so that hashing begun on one thread
// can be finished on another. BackgroundSha256 uses it to hash an input on a low-priority thread
// while the input is parsed (the `sources` record's hash, spec/events.md), without ever making
// the caller wait for a thread the machine gives no time: Finish() takes over what is left.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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
  Result<std::string> Hash() const;

 private:
  struct State;
  std::string path_;
  std::unique_ptr<State> s_;
};

class BackgroundSha256 {
 public:
  // Starts hashing `paths`, one after the other, on a thread of its own at a lower priority
  // (thread_priority.h); with no thread to be had, Finish() does all of it.
  explicit BackgroundSha256(std::vector<std::string> paths);
  explicit BackgroundSha256(std::string path)
      : BackgroundSha256(std::vector<std::string>{std::move(path)}) {}
  ~BackgroundSha256();  // stops the thread where it is (the hashes are dropped)
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  // Whether every file is hashed (by the thread, or by Finish()); then Of() may be asked.
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Every file hashed: the thread is asked to stop where it is, and what it has not read yet is
  // read and hashed on the calling thread, at the caller's priority.
  void FinishAll();
  // The i-th file's SHA-256, or what went wrong. Only once ready().
  Result<std::string> Of(size_t i) const { return hashes_[i]->Hash(); }
  // For one file: FinishAll(), then its hash.
  Result<std::string> Finish() {
    FinishAll();
    return Of(0);
  }

 private:
  // Hashes from the i-th file on (until `stop`); true when all are done.
  bool HashFrom(size_t i, const std::atomic<bool>* stop);

  std::vector<std::unique_ptr<FileSha256>> hashes_;
  size_t next_ = 0;  // the file the thread stopped in (read after joining it)
  std::atomic<bool> stop_{false}, ready_{false};
  std::thread thread_;
};

}  // namespace mxir
