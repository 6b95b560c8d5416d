// PrefetchSource: a reading thread, blocks of copied packets, two queues.
#include "capture/prefetch_source.h"

#include <algorithm>
#include <cstring>

namespace mxir::capture {

PrefetchSource::PrefetchSource(std::unique_ptr<PacketSource> inner)
    : inner_(std::move(inner)), link_type_(inner_->link_type()) {
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks_.push_back(std::make_unique<Block>());
    blocks_.back()->data.resize(kBlockBytes);
    free_.push_back(blocks_.back().get());
  }
  thread_ = std::thread([this] { Read(); });
}

PrefetchSource::~PrefetchSource() { Stop(); }

void PrefetchSource::Stop() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  free_cv_.notify_all();
  full_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PrefetchSource::Append(Block* b, const RawPacket& p) {
  if (p.caplen > b->data.size() - b->used) {
    if (!b->packets.empty()) return false;  // the next block takes it
    b->data.resize(p.caplen);               // a packet larger than a block
  }
  if (p.caplen > 0) std::memcpy(b->data.data() + b->used, p.data, p.caplen);
  b->packets.push_back(p);
  b->offsets.push_back(b->used);
  b->bytes_read.push_back(inner_->bytes_read());
  b->used += p.caplen;
  return true;
}

void PrefetchSource::Read() {
  RawPacket pending;  // read, but did not fit the previous block
  bool has_pending = false;
  for (;;) {
    Block* b = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      free_cv_.wait(lock, [this] { return stop_ || !free_.empty(); });
      if (stop_) return;
      b = free_.front();
      free_.pop_front();
    }
    b->packets.clear();
    b->offsets.clear();
    b->bytes_read.clear();
    b->used = 0;
    b->end = false;
    b->error.reset();
    if (has_pending) {
      Append(b, pending);
      has_pending = false;
    }
    while (!b->end) {
      Result<bool> next = inner_->Next(&pending);
      if (!next.ok()) {
        b->error = next.error();
        b->end = true;
      } else if (!*next) {
        b->end = true;
      } else if (!Append(b, pending)) {
        has_pending = true;
        break;
      }
    }
    const bool end = b->end;
    if (end) b->end_bytes_read = inner_->bytes_read();
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_empty = full_.empty();
      full_.push_back(b);
    }
    if (was_empty) full_cv_.notify_one();
    if (end) return;
  }
}

Result<bool> PrefetchSource::Next(RawPacket* p) {
  for (;;) {
    if (current_ != nullptr && next_ < current_->packets.size()) {
      *p = current_->packets[next_];
      p->data = current_->data.data() + current_->offsets[next_];
      bytes_read_ = current_->bytes_read[next_];
      ++next_;
      return true;
    }
    if (done_) return false;
    if (current_ != nullptr) {
      if (current_->end) {
        done_ = true;
        bytes_read_ = current_->end_bytes_read;
        if (current_->error) return *current_->error;
        return false;
      }
      bool was_empty;
      {
        std::lock_guard<std::mutex> lock(mu_);
        was_empty = free_.empty();
        free_.push_back(current_);
      }
      if (was_empty) free_cv_.notify_one();
      current_ = nullptr;
    }
    std::unique_lock<std::mutex> lock(mu_);
    full_cv_.wait(lock, [this] { return !full_.empty(); });
    current_ = full_.front();
    full_.pop_front();
    next_ = 0;
  }
}

const std::vector<std::string>& PrefetchSource::warnings() const {
  Stop();
  return inner_->warnings();
}

}  // namespace mxir::capture
