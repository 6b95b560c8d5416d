#include "casedb/background_writer.h"

#include <utility>

namespace mxir::casedb {

BackgroundEventWriter::BackgroundEventWriter(CaseDb& c, size_t batch_size)
    : writer_(c, batch_size) {
  filling_.resize(kChunk);
  thread_ = std::thread([this] { Run(); });
}

BackgroundEventWriter::~BackgroundEventWriter() {
  (void)Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  to_writer_.notify_all();
  thread_.join();
}

void BackgroundEventWriter::Add(Event&& e) {
  EventWriter::PrepareEvent(std::move(e), &filling_[filled_]);
  if (++filled_ >= kChunk) Push(false);
}

void BackgroundEventWriter::Push(bool commit) {
  std::unique_lock<std::mutex> lock(mu_);
  to_producer_.wait(lock, [&] { return queue_.size() < kMaxChunks; });
  Chunk c;
  c.events.swap(filling_);
  c.n = filled_;
  filled_ = 0;
  c.commit = commit;
  c.seq = ++pushed_;
  queue_.push_back(std::move(c));
  if (!spare_.empty()) {
    filling_.swap(spare_.back());
    spare_.pop_back();
  }
  filling_.resize(kChunk);
  lock.unlock();
  to_writer_.notify_one();
}

Status BackgroundEventWriter::Finish() {
  Push(true);
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t seq = pushed_;
  to_producer_.wait(lock, [&] { return done_ >= seq; });
  return error_;
}

void BackgroundEventWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    to_writer_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_, and everything done
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    to_producer_.notify_all();  // room in the queue
    Status first;
    for (size_t i = 0; i < c.n; ++i) {
      Status s = writer_.Add(std::move(c.events[i]));
      if (!s.ok() && first.ok()) first = s;
    }
    if (c.commit) {
      Status s = writer_.Finish();
      if (!s.ok() && first.ok()) first = s;
    }
    lock.lock();
    if (!first.ok() && error_.ok()) error_ = first;
    if (c.commit) {
      inserted_ = writer_.inserted();
      duplicates_ = writer_.duplicates();
    }
    if (spare_.size() < kMaxChunks) spare_.push_back(std::move(c.events));
    done_ = c.seq;
    to_producer_.notify_all();
  }
}

}  // namespace mxir::casedb
