// libFuzzer target: the packet decoder and, behind it, the flow table and TCP reassembler.
//
// Input: a sequence of records [link-type selector byte][length byte][frame bytes]. Every frame
// is decoded; TCP segments go into a FlowTable with small limits, so reassembly (holes, overlaps,
// wrap, limits, ends) is exercised by the fuzzer too. The handler checks what it receives.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "capture/flow_table.h"
#include "capture/packet_decoder.h"

namespace {

using namespace mxir::capture;

class CheckingHandler : public StreamHandler {
 public:
  void OnData(Direction, const uint8_t* data, size_t len, mxir::Timestamp, int64_t) override {
    if (len == 0 || data == nullptr || ended_) std::abort();
    volatile uint8_t sink = data[0] ^ data[len - 1];  // touch both ends (ASan checks bounds)
    (void)sink;
  }
  void OnGap(Direction, uint64_t bytes, mxir::Timestamp, int64_t) override {
    if (bytes == 0 || ended_) std::abort();
  }
  void OnEnd(EndState, mxir::Timestamp, int64_t) override {
    if (ended_) std::abort();
    ended_ = true;
  }

 private:
  bool ended_ = false;
};

class Factory : public StreamHandlerFactory {
 public:
  std::unique_ptr<StreamHandler> NewFlow(const FlowInfo&) override {
    return std::make_unique<CheckingHandler>();
  }
};

constexpr int kLinks[] = {kLinkEthernet, kLinkRaw,       kLinkNull, kLinkLoop,
                          kLinkLinuxSll, kLinkLinuxSll2, kLinkIpv4, kLinkIpv6};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Factory factory;
  FlowTableOptions options;
  options.memory_budget_bytes = 64 * 1024;
  options.reassembly.max_buffered_bytes = 4096;
  options.reassembly.max_buffered_segments = 16;
  options.idle_timeout_us = 1000;
  FlowTable table(&factory, options);
  size_t pos = 0;
  int64_t packet = 0;
  while (pos + 2 <= size) {
    int link = kLinks[data[pos] % (sizeof kLinks / sizeof kLinks[0])];
    size_t len = data[pos + 1] * 2u;
    pos += 2;
    if (len > size - pos) len = size - pos;
    // Decode from a right-sized heap copy so that ASan sees any read past the frame.
    std::unique_ptr<uint8_t[]> frame(new uint8_t[len + 1]);
    for (size_t i = 0; i < len; ++i) frame[i] = data[pos + i];
    DecodedTcp tcp;
    PacketClass c = DecodePacket(link, frame.get(), len, &tcp);
    if (c == PacketClass::kTcp) {
      if (tcp.payload < frame.get() || tcp.payload + tcp.payload_len > frame.get() + len) {
        std::abort();
      }
      ++packet;
      table.OnSegment(tcp, mxir::Timestamp::FromMicros(packet * 100), packet, 0);
      if (packet % 8 == 0) table.ExpireIdle(mxir::Timestamp::FromMicros(packet * 100));
    }
    pos += len;
  }
  table.Finish(mxir::Timestamp::FromMicros(packet * 100 + 1), packet);
  return 0;
}
