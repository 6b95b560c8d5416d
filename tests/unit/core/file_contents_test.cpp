// FileContents: one pass reads the file and hashes it; the bytes are followed by zero padding.
#include "core/file_contents.h"

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "core/file_util.h"

namespace mxir {
namespace {

using testing::WriteTempFile;

TEST(FileContents, BytesAndHashEqualTheFileForManySizes) {
  std::string dir = testing::MakeTempDir("mxir-contents");
  std::mt19937 rng(5);
  // Empty, tiny, around the 2 MiB huge-page size, and larger than one read chunk many times.
  for (size_t size : {size_t{0}, size_t{1}, size_t{63}, size_t{262144}, size_t{2097152 - 65},
                      size_t{2097152}, size_t{5000001}}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string path = WriteTempFile(dir, "f" + std::to_string(size), bytes);
    auto c = FileContents::Read(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_EQ(c->view().size(), size);
    EXPECT_TRUE(c->view() == bytes) << size;
    EXPECT_EQ(c->sha256(), Sha256OfFile(path).value()) << size;
    const char* end = c->view().data() + size;
    for (size_t i = 0; i < FileContents::kPadding; ++i) ASSERT_EQ(end[i], '\0') << size;
    FileContents moved = std::move(*c);
    EXPECT_EQ(moved.view().size(), size);
  }
}

TEST(FileContents, MissingFileAndDirectoryAreErrors) {
  std::string dir = testing::MakeTempDir("mxir-contents");
  auto missing = FileContents::Read(dir + "/nope.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ExitStatus(), 2);
  EXPECT_NE(missing.error().message.find("nope.json"), std::string::npos);
  EXPECT_FALSE(FileContents::Read(dir).ok());
}

}  // namespace
}  // namespace mxir
