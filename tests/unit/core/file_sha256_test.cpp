// FileSha256 / BackgroundSha256: a hash begun on one thread and finished on another is the
// file's SHA-256, wherever the first thread stopped.
#include "core/file_sha256.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "core/file_util.h"

namespace mxir {
namespace {

using testing::WriteTempFile;

std::string RandomBytes(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

TEST(FileSha256, EqualsTheHashOfTheBytesForManySizes) {
  std::string dir = testing::MakeTempDir("mxir-sha");
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{65537}, size_t{1000003}}) {
    std::string bytes = RandomBytes(size, static_cast<unsigned>(size));
    std::string path = WriteTempFile(dir, "f" + std::to_string(size), bytes);
    FileSha256 h(path);
    EXPECT_TRUE(h.Run());
    auto sha = h.Hash();
    ASSERT_TRUE(sha.ok()) << sha.error().message;
    EXPECT_EQ(*sha, Sha256Hex(bytes)) << size;
    auto whole = Sha256OfFile(path);
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(*whole, *sha);
  }
}

TEST(FileSha256, StoppedAnywhereAndResumedGivesTheSameHash) {
  std::string dir = testing::MakeTempDir("mxir-sha");
  const std::string bytes = RandomBytes(8 * 1024 * 1024 + 17, 7);
  const std::string path = WriteTempFile(dir, "big", bytes);
  const std::string want = Sha256Hex(bytes);
  // Stopped before it began, then at whatever point another thread's stop lands (bounded: 8
  // tries with growing delays), then run to the end on this thread.
  for (int attempt = 0; attempt < 8; ++attempt) {
    FileSha256 h(path);
    std::atomic<bool> stop{attempt == 0};
    bool finished = false;
    std::thread t([&] { finished = h.Run(&stop); });
    std::this_thread::sleep_for(std::chrono::microseconds(200 * attempt));
    stop.store(true);
    t.join();
    if (attempt == 0) {
      EXPECT_FALSE(finished);
      EXPECT_FALSE(h.Hash().ok());  // unfinished: no hash yet
    }
    EXPECT_TRUE(h.Run());
    auto sha = h.Hash();
    ASSERT_TRUE(sha.ok());
    EXPECT_EQ(*sha, want) << "attempt " << attempt;
  }
}

TEST(FileSha256, MissingFileIsANotFoundErrorNamingIt) {
  FileSha256 h("/nonexistent/mxir-sha-test");
  EXPECT_TRUE(h.Run());
  auto sha = h.Hash();
  ASSERT_FALSE(sha.ok());
  EXPECT_EQ(sha.error().code, ErrorCode::kNotFound);
  EXPECT_NE(sha.error().message.find("/nonexistent/mxir-sha-test"), std::string::npos);
}

TEST(BackgroundSha256, FinishGivesTheHashWhereverTheThreadIs) {
  std::string dir = testing::MakeTempDir("mxir-sha");
  const std::string bytes = RandomBytes(4 * 1024 * 1024 + 3, 11);
  const std::string path = WriteTempFile(dir, "f", bytes);
  const std::string want = Sha256Hex(bytes);
  for (int delay_ms : {0, 1, 5, 50}) {
    BackgroundSha256 h(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto sha = h.Finish();
    ASSERT_TRUE(sha.ok());
    EXPECT_EQ(*sha, want) << delay_ms;
  }
  { BackgroundSha256 dropped(path); }  // never finished: stops, no hang
  BackgroundSha256 missing(dir + "/none");
  auto sha = missing.Finish();
  ASSERT_FALSE(sha.ok());
  EXPECT_EQ(sha.error().code, ErrorCode::kNotFound);
}

// Several files on one thread, one of them missing: each gets its own hash or error, whether the
// thread finished them all, stopped inside one, or never began.
TEST(BackgroundSha256, ManyFilesEachGetTheirOwnHashOrError) {
  std::string dir = testing::MakeTempDir("mxir-sha");
  std::vector<std::string> paths, want;
  for (int i = 0; i < 4; ++i) {
    const std::string bytes = RandomBytes(1024 * 1024 * static_cast<size_t>(i + 1), 20 + i);
    paths.push_back(WriteTempFile(dir, "f" + std::to_string(i), bytes));
    want.push_back(Sha256Hex(bytes));
  }
  paths.insert(paths.begin() + 2, dir + "/missing");
  want.insert(want.begin() + 2, "");
  for (int delay_ms : {0, 2, 20, 500}) {
    BackgroundSha256 h(paths);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    h.FinishAll();
    ASSERT_TRUE(h.ready());
    for (size_t i = 0; i < paths.size(); ++i) {
      auto sha = h.Of(i);
      if (want[i].empty()) {
        ASSERT_FALSE(sha.ok());
        EXPECT_EQ(sha.error().code, ErrorCode::kNotFound);
      } else {
        ASSERT_TRUE(sha.ok()) << sha.error().message;
        EXPECT_EQ(*sha, want[i]) << i << " after " << delay_ms << " ms";
      }
    }
  }
}

}  // namespace
}  // namespace mxir
