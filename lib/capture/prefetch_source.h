// PrefetchSource: reads another PacketSource (capture files) on a thread of its own and hands its
// packets over in blocks, so that reading the file (libpcap, the kernel's copy) overlaps with
// decoding, reassembly and protocol parsing on a machine with a second core.
//
// Each packet is copied once into one of a few reused blocks (no per-packet allocation; memory
// stays bounded at kBlocks blocks). Packets, their order, errors, warnings and bytes_read() are
// exactly those of the wrapped source; a packet stays valid until the next call to Next(), as
// PacketSource promises. Meant for files: a live source is read where it is (its stop flag and
// drop counters belong to the capture loop's thread). Next() and the other methods are called
// from one thread; the destructor stops and joins the reading thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capture/packet_source.h"

namespace mxir::capture {

class PrefetchSource final : public PacketSource {
 public:
  explicit PrefetchSource(std::unique_ptr<PacketSource> inner);
  ~PrefetchSource() override;
  PrefetchSource(const PrefetchSource&) = delete;
  PrefetchSource& operator=(const PrefetchSource&) = delete;

  Result<bool> Next(RawPacket* p) override;
  // The wrapped source's warnings; waits for the reading thread to stop first.
  const std::vector<std::string>& warnings() const override;
  int link_type() const override { return link_type_; }
  uint64_t bytes_read() const override { return bytes_read_; }

 private:
  static constexpr size_t kBlocks = 8;
  static constexpr size_t kBlockBytes = 256 * 1024;

  struct Block {
    std::vector<uint8_t> data;
    std::vector<RawPacket> packets;    // .data is set when handed out (data may grow)
    std::vector<size_t> offsets;       // of each packet's bytes in `data`
    std::vector<uint64_t> bytes_read;  // the wrapped source's bytes_read() after each packet
    size_t used = 0;
    bool end = false;  // the source ended (or failed) after these packets
    std::optional<Error> error;
    uint64_t end_bytes_read = 0;  // with `end`: the wrapped source's final bytes_read()
  };

  void Read();        // the reading thread
  void Stop() const;  // stops and joins it (idempotent)
  bool Append(Block* b, const RawPacket& p);

  std::unique_ptr<PacketSource> inner_;
  int link_type_;
  std::vector<std::unique_ptr<Block>> blocks_;
  mutable std::mutex mu_;
  // Signalled only when a queue the other side may be waiting on was empty (a futex call per
  // block handed over costs more than the copy of a small block).
  mutable std::condition_variable free_cv_, full_cv_;
  std::deque<Block*> free_, full_;  // guarded by mu_
  mutable bool stop_ = false;       // guarded by mu_
  mutable std::thread thread_;
  // Consumer side.
  Block* current_ = nullptr;
  size_t next_ = 0;
  bool done_ = false;
  uint64_t bytes_read_ = 0;
};

}  // namespace mxir::capture
