// CaptureSink: JSON Lines never wait for their input file's SHA-256: without it until it is
// known, with it after.
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_sinks.h"
#include "core/event_json.h"
#include "core/file_util.h"
#include "input_hashes.h"

namespace mxir::tools {
namespace {

Event MakeEvent(const std::string& file, int64_t packet) {
  Event e;
  e.ts = Timestamp::FromMicros(1700000000000000 + packet);
  e.source = "pcap";
  e.origin.file = file;
  e.origin.packet = packet;
  e.protocol = "smtp";
  e.session = "CAbcdefghijk";
  e.kind = EventKind::kReply;
  e.code = 550;
  e.text = "rejected, packet " + std::to_string(packet) + std::string(200, 'x');
  return e;
}

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  return s;
}

TEST(CaptureSinkTest, JsonLinesNeverWaitForTheHash) {
  // A FIFO keeps the hash unknown until the test writes it: the events go out at once without
  // origin.sha256, and with it once it is known.
  std::string dir = "/tmp/mxir-capture-sink-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string fifo = dir + "/in.pcap";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  std::string expected;
  {
    InputHashes hashes({fifo});
    CaptureSink sink(out, CaptureFormat::kJsonl, nullptr, Timestamp(), &hashes);
    for (int i = 1; i <= 12000; ++i) {
      sink.OnEvent(MakeEvent(fifo, i));
      EXPECT_FALSE(hashes.ready());
      AppendEventJson(expected, MakeEvent(fifo, i));
      expected += '\n';
    }
    sink.Flush();
    EXPECT_EQ(ReadAll(out), expected);  // written before the hash is known
    std::FILE* w = std::fopen(fifo.c_str(), "w");
    ASSERT_NE(w, nullptr);
    std::fputs("abc", w);
    std::fclose(w);
    ASSERT_TRUE(hashes.Wait().ok());
    EXPECT_EQ(hashes.Of(fifo), Sha256Hex("abc"));
    sink.OnEvent(MakeEvent(fifo, 12001));
    Event e = MakeEvent(fifo, 12001);
    e.origin.sha256 = Sha256Hex("abc");
    AppendEventJson(expected, e);
    expected += '\n';
    ASSERT_TRUE(sink.Finish(Timestamp()).ok());
    ASSERT_EQ(sink.spans().size(), 1u);
    EXPECT_EQ(sink.spans()[0].events, 12001);
    EXPECT_EQ(*sink.spans()[0].first, MakeEvent(fifo, 1).ts);
    EXPECT_EQ(*sink.spans()[0].last, MakeEvent(fifo, 12001).ts);
  }
  std::fseek(out, 0, SEEK_END);
  EXPECT_EQ(ReadAll(out), expected);
  std::fclose(out);
  unlink(fifo.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace mxir::tools
