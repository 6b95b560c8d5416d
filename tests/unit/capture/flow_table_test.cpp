// FlowTable + TcpReassembler: handshake, order, retransmission, overlap, wrap, gaps, ends, limits.
#include "capture/flow_table.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "capture/packet_decoder.h"
#include "fake_handler.h"
#include "packet_builder.h"

namespace mxir::capture {
namespace {

using testing::FlowRecord;
using testing::RecordingFactory;
using testing::Segment;

constexpr uint8_t kPshAck = kTcpAck | 0x08;

// Drives one connection: client 10.0.0.1:40000, server 10.0.0.2:25.
class Conn {
 public:
  Conn(FlowTable& table, uint32_t client_isn = 1000, uint32_t server_isn = 5000)
      : table_(table), c_isn_(client_isn), s_isn_(server_isn) {}

  void Send(bool from_client, uint32_t seq, const std::string& payload, uint8_t flags,
            uint32_t ack = 0, uint32_t announced_extra = 0) {
    Segment s;
    if (!from_client) {
      std::swap(s.src, s.dst);
      std::swap(s.sport, s.dport);
    }
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.payload = payload;
    s.announced_extra = announced_extra;
    testing::Bytes ip = testing::IpPacket(s);  // with announced_extra: a snap-length cut
    DecodedTcp tcp;
    ASSERT_EQ(DecodePacket(kLinkRaw, ip.data(), ip.size(), &tcp), PacketClass::kTcp);
    ts_ += 1000;
    table_.OnSegment(tcp, Timestamp::FromMicros(ts_), ++packet_, 0);
  }
  void Handshake() {
    Send(true, c_isn_, "", kTcpSyn);
    Send(false, s_isn_, "", kTcpSyn | kTcpAck, c_isn_ + 1);
    Send(true, c_isn_ + 1, "", kTcpAck, s_isn_ + 1);
  }
  // Client data at stream offset `off` (0 = first byte after the SYN).
  void Client(uint32_t off, const std::string& data, uint8_t flags = kPshAck) {
    Send(true, c_isn_ + 1 + off, data, flags, s_isn_ + 1 + s_acked_);
  }
  void Server(uint32_t off, const std::string& data, uint8_t flags = kPshAck) {
    Send(false, s_isn_ + 1 + off, data, flags, c_isn_ + 1 + c_acked_);
  }
  // The server acknowledges client bytes up to `off`.
  void ServerAcks(uint32_t off) {
    c_acked_ = off;
    Send(false, s_isn_ + 1 + s_sent_, "", kTcpAck, c_isn_ + 1 + off);
  }
  void Close(uint32_t c_len, uint32_t s_len) {
    Send(true, c_isn_ + 1 + c_len, "", kTcpFin | kTcpAck, s_isn_ + 1 + s_len);
    Send(false, s_isn_ + 1 + s_len, "", kTcpFin | kTcpAck, c_isn_ + 2 + c_len);
    Send(true, c_isn_ + 2 + c_len, "", kTcpAck, s_isn_ + 2 + s_len);
  }
  int64_t ts() const { return ts_; }
  uint32_t s_sent_ = 0;

 private:
  FlowTable& table_;
  uint32_t c_isn_, s_isn_;
  uint32_t c_acked_ = 0, s_acked_ = 0;
  int64_t ts_ = 1700000000000000;
  int64_t packet_ = 0;
};

TEST(FlowTableTest, HandshakeDataAndFinExchange) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Server(0, "220 hi\r\n");
  c.Client(0, "EHLO a\r\n");
  c.Server(8, "250 ok\r\n");
  c.Close(8, 16);
  ASSERT_EQ(f.flows.size(), 1u);
  const FlowRecord& r = *f.flows[0];
  EXPECT_EQ(r.c2s, "EHLO a\r\n");
  EXPECT_EQ(r.s2c, "220 hi\r\n250 ok\r\n");
  EXPECT_EQ(r.ends, 1);
  EXPECT_EQ(r.state, EndState::kClosed);
  EXPECT_TRUE(r.info.saw_syn);
  EXPECT_EQ(r.info.client_ip.ToString(), "10.0.0.1");
  EXPECT_EQ(r.info.server_port, 25);
  EXPECT_EQ(r.info.first_packet, 1);
  EXPECT_EQ(r.info.id.size(), 12u);
  EXPECT_EQ(r.packets.front(), 4);  // the 220 arrived in packet 4
  EXPECT_EQ(table.stats().closed_flows, 1);
  EXPECT_EQ(table.stats().reassembly.gaps, 0);
}

TEST(FlowTableTest, OutOfOrderRetransmissionAndOverlap) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Client(4, "CDEF");    // ahead: held
  c.Client(8, "GH");      // ahead: held
  c.Client(0, "AB");      // continues, nothing after yet
  c.Client(2, "XXXXXX");  // overlaps: bytes 2-3 new, 4-7 already held -> first copy wins
  c.Client(0, "ABCD");    // retransmission
  c.Close(10, 0);
  EXPECT_EQ(f.flows[0]->c2s, "ABXXCDEFGH");
  EXPECT_EQ(table.stats().reassembly.gaps, 0);
  EXPECT_GE(table.stats().reassembly.retransmitted_segments, 1);
  EXPECT_EQ(table.stats().reassembly.out_of_order_segments, 2);
}

TEST(FlowTableTest, SequenceNumbersWrapAround) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table, 0xFFFFFFF0u, 0xFFFFFFFEu);
  c.Handshake();
  std::string all;
  for (int i = 0; i < 10; ++i) {
    std::string part(7, static_cast<char>('a' + i));
    c.Client(static_cast<uint32_t>(all.size()), part);
    all += part;
  }
  c.Server(0, "250 fine\r\n");
  c.Close(static_cast<uint32_t>(all.size()), 10);
  EXPECT_EQ(f.flows[0]->c2s, all);
  EXPECT_EQ(f.flows[0]->s2c, "250 fine\r\n");
  EXPECT_EQ(f.flows[0]->state, EndState::kClosed);
  EXPECT_EQ(table.stats().reassembly.gaps, 0);
}

TEST(FlowTableTest, LostSegmentBecomesGapWhenAcknowledged) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Client(0, "AAAA");
  c.Client(8, "CCCC");  // bytes 4..7 never captured
  EXPECT_EQ(f.flows[0]->c2s, "AAAA");
  c.ServerAcks(12);
  EXPECT_EQ(f.flows[0]->c2s, "AAAA[gap 4]CCCC");
  c.Client(4, "BBBB");  // a late copy after the gap is not glued in
  EXPECT_EQ(f.flows[0]->c2s, "AAAA[gap 4]CCCC");
  EXPECT_EQ(table.stats().reassembly.gaps, 1);
  EXPECT_EQ(table.stats().reassembly.gap_bytes, 4);
}

TEST(FlowTableTest, LostTailBeforeFinIsAGapAndHeldDataIsFlushed) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Client(0, "AA");
  c.Client(5, "DD");  // hole 2..4
  table.Finish(Timestamp::FromMicros(c.ts()), 99);
  EXPECT_EQ(f.flows[0]->c2s, "AA[gap 3]DD");
  EXPECT_EQ(f.flows[0]->state, EndState::kTimeout);  // no FIN seen
}

TEST(FlowTableTest, SnapLengthCutIsAGap) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Send(true, 1001, "HEAD", kPshAck, 5001, 96);  // 100 bytes sent, 4 captured
  c.Client(100, "NEXT");
  EXPECT_EQ(f.flows[0]->c2s, "HEAD[gap 96]NEXT");
}

TEST(FlowTableTest, ResetEndsTheFlow) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Client(0, "EHLO x\r\n");
  c.Send(false, 5001, "", kTcpRst, 0);
  ASSERT_EQ(f.flows.size(), 1u);
  EXPECT_EQ(f.flows[0]->state, EndState::kReset);
  EXPECT_EQ(f.flows[0]->ends, 1);
  c.Client(8, "late");  // after the end: ignored, no new flow
  EXPECT_EQ(f.flows.size(), 1u);
  EXPECT_EQ(table.stats().reset_flows, 1);
}

TEST(FlowTableTest, IdleTimeout) {
  RecordingFactory f;
  FlowTableOptions o;
  o.idle_timeout_us = 60 * kMicrosPerSecond;
  FlowTable table(&f, o);
  Conn c(table);
  c.Handshake();
  c.Client(0, "x");
  table.ExpireIdle(Timestamp::FromMicros(c.ts() + 30 * kMicrosPerSecond));
  EXPECT_EQ(f.flows[0]->ends, 0);
  table.ExpireIdle(Timestamp::FromMicros(c.ts() + 61 * kMicrosPerSecond));
  EXPECT_EQ(f.flows[0]->ends, 1);
  EXPECT_EQ(f.flows[0]->state, EndState::kTimeout);
  EXPECT_EQ(table.open_flows(), 0u);
  EXPECT_EQ(table.memory_used(), 0u);
}

TEST(FlowTableTest, MemoryBudgetTruncatesTheGreedyFlow) {
  RecordingFactory f;
  FlowTableOptions o;
  o.memory_budget_bytes = 4096;
  FlowTable table(&f, o);
  Conn c(table);
  c.Handshake();
  c.Client(0, "ok");
  for (uint32_t i = 0; i < 10; ++i) c.Client(100 + i * 1000, std::string(900, 'z'));
  ASSERT_EQ(f.flows.size(), 1u);
  EXPECT_EQ(f.flows[0]->state, EndState::kTruncated);
  EXPECT_EQ(f.flows[0]->c2s, "ok");  // held bytes are dropped, not delivered
  EXPECT_EQ(table.stats().truncated_flows, 1);
  EXPECT_LE(table.stats().peak_memory, 4096u + 2000u);
  EXPECT_LE(table.memory_used(), 1024u);  // only the tombstone is left
  // The tuple used again (a new SYN) is a new flow.
  c.Handshake();
  EXPECT_EQ(f.flows.size(), 2u);
}

TEST(FlowTableTest, PerDirectionLimitSkipsTheHole) {
  RecordingFactory f;
  FlowTableOptions o;
  o.reassembly.max_buffered_segments = 2;
  FlowTable table(&f, o);
  Conn c(table);
  c.Handshake();
  c.Client(10, "B");
  c.Client(11, "C");
  c.Client(12, "D");  // third held segment: skip the hole 0..9
  EXPECT_EQ(f.flows[0]->c2s, "[gap 10]BCD");
  EXPECT_EQ(table.stats().reassembly.forced_skips, 1);
}

TEST(FlowTableTest, MidStreamPickupOrientsByServerPort) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Server(100, "250 ok\r\n");  // first packet seen is the server's
  c.Client(50, "RCPT TO:<a@b>\r\n");
  ASSERT_EQ(f.flows.size(), 1u);
  EXPECT_FALSE(f.flows[0]->info.saw_syn);
  EXPECT_EQ(f.flows[0]->info.client_ip.ToString(), "10.0.0.1");
  EXPECT_EQ(f.flows[0]->info.client_port, 40000);
  EXPECT_EQ(f.flows[0]->s2c, "250 ok\r\n");
  EXPECT_EQ(f.flows[0]->c2s, "RCPT TO:<a@b>\r\n");
  EXPECT_EQ(table.stats().midstream_flows, 1);
}

TEST(FlowTableTest, PureAcksDoNotStartFlowsAndDeclinedFlowsAreOnlyCounted) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Send(true, 1, "", kTcpAck, 1);
  EXPECT_EQ(table.open_flows(), 0u);
  EXPECT_EQ(table.stats().segments_without_flow, 1);
  f.decline = true;
  c.Handshake();
  c.Client(0, "GET / HTTP/1.0\r\n");
  EXPECT_EQ(f.flows.size(), 0u);
  EXPECT_EQ(table.stats().flows_ignored, 1);
}

TEST(FlowTableTest, OneByteSegmentsShuffledGiveTheSameStream) {
  const std::string msg = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n";
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    RecordingFactory f;
    FlowTable table(&f, {});
    Conn c(table);
    c.Handshake();
    std::vector<uint32_t> order(msg.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (uint32_t i : order) c.Client(i, msg.substr(i, 1));
    c.Close(static_cast<uint32_t>(msg.size()), 0);
    ASSERT_EQ(f.flows[0]->c2s, msg);
    EXPECT_EQ(f.flows[0]->state, EndState::kClosed);
  }
}

TEST(FlowTableTest, FinishEndsOpenFlowsAsClosedWhenAFinWasSeen) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Conn c(table);
  c.Handshake();
  c.Client(0, "QUIT\r\n");
  c.Send(true, 1007, "", kTcpFin | kTcpAck, 5001);  // only the client's FIN is captured
  table.Finish(Timestamp::FromMicros(c.ts()), 10);
  EXPECT_EQ(f.flows[0]->state, EndState::kClosed);
  EXPECT_EQ(f.flows[0]->ends, 1);
  Counters counters;
  table.ExportCounters(&counters);
  EXPECT_EQ(counters.Get("flows"), 1);
  EXPECT_EQ(counters.Get("flow_end.closed"), 1);
}

TEST(FlowTableTest, Ipv6Flow) {
  RecordingFactory f;
  FlowTable table(&f, {});
  Segment s;
  s.src = "2001:db8::10";
  s.dst = "2001:db8::1";
  s.dport = 587;
  s.flags = kTcpSyn;
  testing::Bytes ip = testing::IpPacket(s);
  DecodedTcp tcp;
  ASSERT_EQ(DecodePacket(kLinkRaw, ip.data(), ip.size(), &tcp), PacketClass::kTcp);
  table.OnSegment(tcp, Timestamp::FromSeconds(0), 1, 2);
  ASSERT_EQ(f.flows.size(), 1u);
  EXPECT_EQ(f.flows[0]->info.client_ip.ToString(), "2001:db8::10");
  EXPECT_EQ(f.flows[0]->info.server_port, 587);
  EXPECT_EQ(f.flows[0]->info.input, 2);
}

}  // namespace
}  // namespace mxir::capture
