// RunCapture: the packet loop. Per-packet work is decode + one hash lookup; counters are plain
// integers until the end.
#include "capture/capture_run.h"

#include <array>
#include <optional>

#include "capture/packet_decoder.h"

namespace mxir::capture {
namespace {

constexpr int kClasses = static_cast<int>(PacketClass::kTruncatedTcp) + 1;
constexpr int64_t kExpireEveryUs = kMicrosPerSecond;
constexpr int64_t kProgressEveryPackets = 65536;

}  // namespace

Status RunCapture(PacketSource& source, StreamHandlerFactory* factory,
                  const CaptureOptions& options, Counters* counters,
                  std::vector<std::string>* warnings) {
  FlowTable table(factory, options.flows);
  std::array<int64_t, kClasses> by_class{};
  int64_t packets = 0, bytes = 0;
  Timestamp last_expire, last_ts;
  bool first = true;
  RawPacket p;
  DecodedTcp tcp;
  Status status;
  for (;;) {
    if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) break;
    Result<bool> next = source.Next(&p);
    if (!next.ok()) {
      status = next.error();
      break;
    }
    if (!*next) break;
    ++packets;
    bytes += p.caplen;
    if (options.writer != nullptr) options.writer->Write(p);
    PacketClass c = DecodePacket(p.link_type, p.data, p.caplen, &tcp);
    ++by_class[static_cast<int>(c)];
    if (first || p.ts > last_ts) last_ts = p.ts;
    if (first) {
      last_expire = p.ts;
      first = false;
    }
    if (c == PacketClass::kTcp) table.OnSegment(tcp, p.ts, p.index, p.input);
    if (last_ts - last_expire >= kExpireEveryUs) {
      table.ExpireIdle(last_ts);
      last_expire = last_ts;
    }
    if (options.progress && packets % kProgressEveryPackets == 0) {
      options.progress(source.bytes_read());
    }
  }
  table.Finish(last_ts, p.index);
  if (options.progress) options.progress(source.bytes_read());

  counters->Add("packets", packets);
  counters->Add("bytes", bytes);
  counters->Add("tcp_packets", by_class[static_cast<int>(PacketClass::kTcp)]);
  if (int64_t n = by_class[static_cast<int>(PacketClass::kIpFragment)]; n > 0) {
    counters->Add("ip_fragments", n);
  }
  for (PacketClass c : {PacketClass::kNotIp, PacketClass::kNotTcp}) {
    if (by_class[static_cast<int>(c)] > 0) {
      counters->Add(std::string("skipped.") + PacketClassName(c), by_class[static_cast<int>(c)]);
    }
  }
  int64_t errors = 0;
  for (int i = 0; i < kClasses; ++i) {
    if (IsDecodeError(static_cast<PacketClass>(i))) errors += by_class[i];
  }
  counters->Add("decode_errors", errors);
  for (int i = 0; i < kClasses; ++i) {
    auto c = static_cast<PacketClass>(i);
    if (IsDecodeError(c) && by_class[i] > 0) {
      counters->Add(std::string("decode_error.") + PacketClassName(c), by_class[i]);
    }
  }
  table.ExportCounters(counters);
  if (std::optional<SourceDrops> drops = source.Drops()) {
    counters->Add("kernel_drops", drops->kernel);
    counters->Add("interface_drops", drops->interface);
  }
  for (const auto& w : source.warnings()) warnings->push_back(w);
  return status;
}

}  // namespace mxir::capture
