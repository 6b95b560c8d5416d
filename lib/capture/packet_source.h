// PacketSource: where packets come from — pcap/pcapng files (one, or several merged in time
// order) or a live interface (live_source.h) — behind one small interface, so the capture loop
// and its tests do not care which.
//
// A RawPacket points into the source's buffer and is valid until the next call to Next().
// Sources report bad input as Errors whose message names the file and what is wrong; a file
// that breaks off in the middle (a killed tcpdump) ends that file with a warning instead, so
// what came before still counts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/timestamp.h"

namespace mxir::capture {

struct RawPacket {
  Timestamp ts;
  const uint8_t* data = nullptr;
  uint32_t caplen = 0;   // bytes present at data
  uint32_t wirelen = 0;  // bytes on the wire
  int link_type = 0;     // DLT_* value
  int input = 0;         // which input (0-based)
  int64_t index = 0;     // 1-based packet number within that input
};

// Kernel and interface drops of a live capture (pcap_stats).
struct SourceDrops {
  int64_t kernel = 0, interface = 0;
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // The next packet into *p: true, or false at the end (or when stopped).
  virtual Result<bool> Next(RawPacket* p) = 0;
  // Warnings collected so far (e.g. a file cut short); the capture prints them.
  virtual const std::vector<std::string>& warnings() const = 0;
  // Live sources only (files drop nothing): nullopt for files.
  virtual std::optional<SourceDrops> Drops() const { return std::nullopt; }
  // The link type of every packet (for PcapWriter), or -1 when inputs differ or are unknown.
  virtual int link_type() const { return -1; }
  // Bytes of input consumed so far, for progress (0 when unknown).
  virtual uint64_t bytes_read() const { return 0; }
};

// Opens pcap or pcapng files (libpcap decides by the magic number) and merges their packets in
// time order (ties: the earlier input first). `filter` is a BPF expression applied to every file
// ("" for none). Fails, naming the file, when one cannot be opened, is empty, is not a capture,
// has an unsupported link type, or the filter does not compile.
Result<std::unique_ptr<PacketSource>> OpenPcapFiles(const std::vector<std::string>& paths,
                                                    const std::string& filter);

}  // namespace mxir::capture
