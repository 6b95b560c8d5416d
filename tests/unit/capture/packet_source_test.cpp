// Pcap sources and the capture loop: pcap and pcapng files, merging, and bad files of every kind.
#include "capture/packet_source.h"

#include <random>

#include <gtest/gtest.h>
#include <unistd.h>

#include "capture/capture_run.h"
#include "capture/packet_decoder.h"
#include "capture/prefetch_source.h"
#include "fake_handler.h"
#include "packet_builder.h"

namespace mxir::capture {
namespace {

using testing::Bytes;
using testing::Frame;
using testing::Segment;

class TempFiles {
 public:
  std::string Add(const Bytes& b, const std::string& suffix = ".pcap") {
    paths_.push_back(testing::WriteTemp(b, suffix));
    return paths_.back();
  }
  ~TempFiles() {
    for (const auto& p : paths_) unlink(p.c_str());
  }

 private:
  std::vector<std::string> paths_;
};

// A short SMTP exchange as Ethernet frames, starting at `t0` µs, client port `sport`.
std::vector<Frame> Exchange(int64_t t0, uint16_t sport, bool v6 = false) {
  Segment s;
  s.sport = sport;
  if (v6) {
    s.src = "2001:db8::5";
    s.dst = "2001:db8::25";
  }
  Segment r = s;
  std::swap(r.src, r.dst);
  std::swap(r.sport, r.dport);
  std::vector<Frame> frames;
  auto add = [&](Segment seg, uint32_t seq, uint32_t ack, uint8_t flags, std::string data) {
    seg.seq = seq;
    seg.ack = ack;
    seg.flags = flags;
    seg.payload = std::move(data);
    frames.push_back(Frame{t0 + static_cast<int64_t>(frames.size()) * 10,
                           testing::Ethernet(testing::IpPacket(seg), v6)});
  };
  add(s, 100, 0, kTcpSyn, "");
  add(r, 900, 101, kTcpSyn | kTcpAck, "");
  add(r, 901, 101, kTcpAck, "220 mx\r\n");
  add(s, 101, 909, kTcpAck, "QUIT\r\n");
  add(r, 909, 107, kTcpAck | kTcpFin, "221 bye\r\n");
  add(s, 107, 918, kTcpAck | kTcpFin, "");
  return frames;
}

struct RunOutput {
  Status status;
  Counters counters;
  std::vector<std::string> warnings;
  testing::RecordingFactory factory;
};

void RunFiles(const std::vector<std::string>& paths, RunOutput* out) {
  auto source = OpenPcapFiles(paths, "");
  ASSERT_TRUE(source.ok()) << source.error().message;
  out->status = RunCapture(**source, &out->factory, {}, &out->counters, &out->warnings);
}

TEST(PacketSourceTest, ReadsPcapAndPcapNg) {
  TempFiles tmp;
  for (bool ng : {false, true}) {
    auto frames = Exchange(1000000, 40001);
    std::string path = tmp.Add(
        ng ? testing::PcapNgFile(kLinkEthernet, frames) : testing::PcapFile(kLinkEthernet, frames),
        ng ? ".pcapng" : ".pcap");
    RunOutput out;
    RunFiles({path}, &out);
    ASSERT_TRUE(out.status.ok());
    EXPECT_EQ(out.counters.Get("packets"), 6);
    EXPECT_EQ(out.counters.Get("tcp_packets"), 6);
    EXPECT_EQ(out.counters.Get("decode_errors"), 0);
    ASSERT_EQ(out.factory.flows.size(), 1u);
    EXPECT_EQ(out.factory.flows[0]->c2s, "QUIT\r\n");
    EXPECT_EQ(out.factory.flows[0]->s2c, "220 mx\r\n221 bye\r\n");
    EXPECT_EQ(out.factory.flows[0]->state, EndState::kClosed);
    EXPECT_EQ(out.factory.flows[0]->info.first_seen, Timestamp::FromMicros(1000000));
    EXPECT_TRUE(out.warnings.empty());
  }
}

TEST(PacketSourceTest, MergesFilesInTimeOrder) {
  TempFiles tmp;
  // File b holds the earlier connection; file a the later one plus a packet in between.
  auto a = Exchange(5000000, 40002, true);
  auto b = Exchange(1000000, 40003);
  std::string pa = tmp.Add(testing::PcapFile(kLinkEthernet, a));
  std::string pb = tmp.Add(testing::PcapNgFile(kLinkEthernet, b), ".pcapng");
  auto source = OpenPcapFiles({pa, pb}, "");
  ASSERT_TRUE(source.ok());
  RawPacket p;
  std::vector<std::pair<int, int64_t>> seen;
  Timestamp last;
  for (;;) {
    auto next = (*source)->Next(&p);
    ASSERT_TRUE(next.ok());
    if (!*next) break;
    EXPECT_GE(p.ts, last);
    last = p.ts;
    seen.emplace_back(p.input, p.index);
  }
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_EQ(seen.front(), std::make_pair(1, int64_t{1}));
  EXPECT_EQ(seen.back(), std::make_pair(0, int64_t{6}));
}

TEST(PacketSourceTest, OtherLinkTypesThroughFiles) {
  TempFiles tmp;
  Segment s;
  s.payload = "EHLO x\r\n";
  Bytes ip = testing::IpPacket(s);
  struct Case {
    int link;
    Bytes frame;
  } cases[] = {{kLinkLinuxSll, testing::LinuxSll(ip, false)},
               {kLinkLinuxSll2, testing::LinuxSll2(ip, false)},
               {kLinkNull, testing::BsdNull(ip, false)},
               {kLinkRawType, ip}};
  for (const Case& c : cases) {
    std::string path = tmp.Add(testing::PcapFile(c.link, {Frame{0, c.frame}}));
    RunOutput out;
    RunFiles({path}, &out);
    EXPECT_EQ(out.counters.Get("tcp_packets"), 1) << c.link;
    ASSERT_EQ(out.factory.flows.size(), 1u) << c.link;
    EXPECT_EQ(out.factory.flows[0]->c2s, "EHLO x\r\n");
  }
}

TEST(PacketSourceTest, BadFilesGiveClearErrors) {
  TempFiles tmp;
  std::string empty = tmp.Add({});
  auto r = OpenPcapFiles({empty}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is empty"), std::string::npos);
  EXPECT_EQ(r.error().ExitStatus(), 2);

  std::string text =
      tmp.Add(Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n', 0, 0,
                    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0, 0});
  r = OpenPcapFiles({text}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a pcap or pcapng file"), std::string::npos)
      << r.error().message;

  Bytes header_only = testing::PcapFile(kLinkEthernet, {});
  header_only.resize(10);
  r = OpenPcapFiles({tmp.Add(header_only)}, "");
  ASSERT_FALSE(r.ok());

  r = OpenPcapFiles({"/nonexistent/x.pcap"}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/x.pcap"), std::string::npos);

  r = OpenPcapFiles({tmp.Add(testing::PcapFile(147, {Frame{0, {1, 2, 3}}}))}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not supported"), std::string::npos);

  r = OpenPcapFiles({tmp.Add(testing::PcapFile(kLinkEthernet, Exchange(0, 1)))}, "tcp port (");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
}

TEST(PacketSourceTest, TruncatedFileKeepsWhatCameBefore) {
  TempFiles tmp;
  Bytes file = testing::PcapFile(kLinkEthernet, Exchange(0, 40004));
  file.resize(file.size() - 30);  // the last packet is cut
  RunOutput out;
  RunFiles({tmp.Add(file)}, &out);
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.counters.Get("packets"), 5);
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_NE(out.warnings[0].find("breaks off after packet 5"), std::string::npos)
      << out.warnings[0];
}

TEST(PacketSourceTest, AbsurdCaplenIsReportedNotTrusted) {
  TempFiles tmp;
  Bytes file = testing::PcapFile(kLinkEthernet, Exchange(0, 40005));
  // First record header: caplen (offset 24 + 8) = 0xFFFFFFF0.
  file[32] = 0xF0;
  file[33] = file[34] = file[35] = 0xFF;
  RunOutput out;
  RunFiles({tmp.Add(file)}, &out);
  EXPECT_EQ(out.counters.Get("packets"), 0);
  ASSERT_EQ(out.warnings.size(), 1u);
}

TEST(PacketSourceTest, RandomBytesAfterAValidHeader) {
  TempFiles tmp;
  std::mt19937 rng(99);
  for (int round = 0; round < 20; ++round) {
    Bytes file = testing::PcapFile(round % 2 ? kLinkEthernet : kLinkRawType, {}, 65535);
    for (int i = 0; i < 20000; ++i) file.push_back(static_cast<uint8_t>(rng()));
    // Make record headers plausible now and then so packets reach the decoder.
    for (size_t off = 24; off + 16 < file.size(); off += 16 + 200) {
      file[off + 8] = 200;
      file[off + 9] = file[off + 10] = file[off + 11] = 0;
      file[off + 12] = 200;
      file[off + 13] = file[off + 14] = file[off + 15] = 0;
      if (round % 2 == 0) file[off + 16] = 0x45;
    }
    RunOutput out;
    RunFiles({tmp.Add(file)}, &out);
    EXPECT_TRUE(out.status.ok());
    EXPECT_GT(out.counters.Get("packets"), 50);
  }
}

// Everything a source hands out, with copies of the packet bytes.
struct SeenPacket {
  int64_t ts_us, index;
  int input, link_type;
  uint32_t caplen, wirelen;
  Bytes data;
  uint64_t bytes_read;
  friend bool operator==(const SeenPacket&, const SeenPacket&) = default;
};

std::vector<SeenPacket> ReadAll(PacketSource& source) {
  std::vector<SeenPacket> seen;
  RawPacket p;
  for (;;) {
    Result<bool> next = source.Next(&p);
    EXPECT_TRUE(next.ok());
    if (!next.ok() || !*next) break;
    seen.push_back({p.ts.micros(), p.index, p.input, p.link_type, p.caplen, p.wirelen,
                    Bytes(p.data, p.data + p.caplen), source.bytes_read()});
  }
  return seen;
}

TEST(PacketSourceTest, PrefetchingHandsOutTheSamePackets) {
  TempFiles tmp;
  // Two files of many frames (small and near the 256 KiB snap length, so blocks fill up at
  // every kind of boundary), the second cut off in its last packet.
  std::mt19937 rng(7);
  std::vector<std::string> paths;
  for (int f = 0; f < 2; ++f) {
    std::vector<Frame> frames;
    for (int i = 0; i < 1500; ++i) {
      size_t len = i % 97 == 0 ? 200000 + rng() % 62000 : 60 + rng() % 1400;
      Bytes data(len);
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      frames.push_back(Frame{1000000 + i * 20 + f * 7, std::move(data)});
    }
    Bytes file = testing::PcapFile(kLinkEthernet, frames);
    if (f == 1) file.resize(file.size() - 10);
    paths.push_back(tmp.Add(file));
  }
  auto plain = OpenPcapFiles(paths, "");
  ASSERT_TRUE(plain.ok());
  std::vector<SeenPacket> expected = ReadAll(**plain);
  ASSERT_EQ(expected.size(), 2999u);
  auto inner = OpenPcapFiles(paths, "");
  ASSERT_TRUE(inner.ok());
  PrefetchSource prefetched(std::move(*inner));
  EXPECT_EQ(prefetched.link_type(), (*plain)->link_type());
  std::vector<SeenPacket> got = ReadAll(prefetched);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_TRUE(got[i] == expected[i]) << "packet " << i;
  EXPECT_EQ(prefetched.bytes_read(), (*plain)->bytes_read());
  EXPECT_EQ(prefetched.warnings(), (*plain)->warnings());
  ASSERT_EQ(prefetched.warnings().size(), 1u);
}

TEST(PacketSourceTest, PrefetchingStopsEarlyAndOnEmptyInput) {
  TempFiles tmp;
  std::vector<Frame> frames;
  for (int i = 0; i < 3000; ++i) frames.push_back(Frame{i, Bytes(1000, 0x42)});
  std::string path = tmp.Add(testing::PcapFile(kLinkEthernet, frames));
  {
    auto inner = OpenPcapFiles({path}, "");
    ASSERT_TRUE(inner.ok());
    PrefetchSource source(std::move(*inner));
    RawPacket p;
    ASSERT_TRUE(*source.Next(&p));  // then destroyed while the reader is ahead
  }
  std::string empty = tmp.Add(testing::PcapFile(kLinkEthernet, {}));
  auto inner = OpenPcapFiles({empty}, "");
  ASSERT_TRUE(inner.ok());
  PrefetchSource source(std::move(*inner));
  RawPacket p;
  EXPECT_FALSE(*source.Next(&p));
  EXPECT_FALSE(*source.Next(&p));
  EXPECT_EQ(source.bytes_read(), 24u);
}

}  // namespace
}  // namespace mxir::capture
