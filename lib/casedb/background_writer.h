// BackgroundEventWriter: an EventWriter on a thread of its own, so a producer (a log parser)
// and the store run on two cores. Add() hands events over in chunks (never waiting unless
// kMaxChunks chunks are already queued: memory stays bounded); Finish() waits until everything
// added is stored and committed and returns the first error. The promises are EventWriter's:
// batched commits (a kill -9 leaves every committed batch), duplicates ignored, the first error
// (a full disk) rolls back the open batch and makes the writer refuse the rest.
//
// While events are in flight the case's connection belongs to the writer's thread: use the
// CaseDb for anything else only after Finish() returned (the thread then waits, idle).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "casedb/event_store.h"

namespace mxir::casedb {

class BackgroundEventWriter {
 public:
  explicit BackgroundEventWriter(CaseDb& c, size_t batch_size = EventWriter::kDefaultBatch);
  ~BackgroundEventWriter();  // stores and commits what was added, then ends the thread
  BackgroundEventWriter(const BackgroundEventWriter&) = delete;
  BackgroundEventWriter& operator=(const BackgroundEventWriter&) = delete;

  // Prepares the event on the caller's thread (EventWriter::PrepareEvent), then queues it.
  void Add(Event&& e);
  // Waits until every event added is stored and committed; the first error of the writer.
  Status Finish();

  // As of the last Finish().
  int64_t inserted() const { return inserted_; }
  int64_t duplicates() const { return duplicates_; }

  static constexpr size_t kChunk = 1024;
  static constexpr size_t kMaxChunks = 16;

 private:
  // A chunk's PreparedEvents are reused round after round (their strings and vectors keep their
  // capacity: no allocation per event, and none freed on the other thread).
  struct Chunk {
    std::vector<PreparedEvent> events;
    size_t n = 0;  // events[0, n) are to be stored
    bool commit = false;
    uint64_t seq = 0;
  };
  void Push(bool commit);
  void Run();

  EventWriter writer_;
  std::vector<PreparedEvent> filling_;  // kChunk events, the first filled_ of them prepared
  size_t filled_ = 0;
  std::mutex mu_;
  std::condition_variable to_writer_, to_producer_;
  std::deque<Chunk> queue_;
  std::vector<std::vector<PreparedEvent>> spare_;  // emptied chunks, reused
  uint64_t pushed_ = 0, done_ = 0;                 // sequence numbers of chunks
  bool stop_ = false;
  Status error_;  // the writer's first error (under mu_)
  int64_t inserted_ = 0, duplicates_ = 0;
  std::thread thread_;
};

}  // namespace mxir::casedb
