#include "logs/line_source.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

namespace mxir::logs {
namespace {

class LineSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mxir-logs-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& data) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  std::string WriteGz(const std::string& name, const std::string& data) {
    std::string path = dir_ + "/" + name;
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
    gzclose(f);
    return path;
  }
  static std::vector<std::string> All(LineSource& s) {
    std::vector<std::string> out;
    std::string_view line;
    while (s.Next(&line)) out.emplace_back(line);
    return out;
  }
  std::string dir_;
};

TEST_F(LineSourceTest, PlainLinesCrLfAndLastLineWithoutNewline) {
  auto s = LineSource::Open(Write("a.log", "one\r\ntwo\n\nthree")).value();
  EXPECT_EQ(All(*s), (std::vector<std::string>{"one", "two", "", "three"}));
  EXPECT_EQ(s->line_number(), 4);
  EXPECT_TRUE(s->status().ok());
}

TEST_F(LineSourceTest, LongLinesAreCutAndCounted) {
  std::string big(10 * 1024 * 1024, 'x');
  auto s = LineSource::Open(Write("big.log", "a\n" + big + "\nb\n"), 1000).value();
  auto lines = All(*s);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].size(), 1000u);
  EXPECT_EQ(lines[2], "b");
  EXPECT_EQ(s->lines_cut(), 1);
}

TEST_F(LineSourceTest, InvalidUtf8AndNulBytesPassThrough) {
  std::string bytes("\xff\xfe\x00\x80ok\n", 7);
  auto s = LineSource::Open(Write("bin.log", bytes)).value();
  auto lines = All(*s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], std::string("\xff\xfe\x00\x80ok", 6));
}

TEST_F(LineSourceTest, GzipByMagicAndConcatenatedMembers) {
  std::string a = WriteGz("a.gz", "first\nsecond\n");
  std::string b = WriteGz("b.gz", "third\n");
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::string both((std::istreambuf_iterator<char>(fa)), {});
  both.append((std::istreambuf_iterator<char>(fb)), {});
  auto s = LineSource::Open(Write("rotated.1", both)).value();
  EXPECT_TRUE(s->gzip());
  EXPECT_EQ(All(*s), (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_TRUE(s->status().ok());
}

TEST_F(LineSourceTest, TruncatedGzipKeepsLinesAndReportsError) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + " some text here\n";
  std::string path = WriteGz("t.gz", text);
  std::ifstream f(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), {});
  auto s = LineSource::Open(Write("t2.gz", data.substr(0, data.size() / 2))).value();
  auto lines = All(*s);
  EXPECT_GT(lines.size(), 0u);
  EXPECT_LT(lines.size(), 20000u);
  ASSERT_FALSE(s->status().ok());
  EXPECT_NE(s->status().error().message.find("truncated gzip"), std::string::npos);
}

TEST_F(LineSourceTest, MissingFileIsAClearError) {
  auto s = LineSource::Open(dir_ + "/nope.log");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("nope.log"), std::string::npos);
}

TEST_F(LineSourceTest, NextCompleteHoldsBackAPartialLine) {
  std::string path = Write("grow.log", "a\npart");
  int fd = open(path.c_str(), O_RDONLY);
  auto s = LineSource::FromFd(fd, path, 0);
  std::string_view line;
  ASSERT_TRUE(s->NextComplete(&line));
  EXPECT_EQ(line, "a");
  EXPECT_FALSE(s->NextComplete(&line));
  std::ofstream(path, std::ios::app) << "ial\n";
  ASSERT_TRUE(s->NextComplete(&line));
  EXPECT_EQ(line, "partial");
  close(fd);
}

}  // namespace
}  // namespace mxir::logs
