#include "hooks/password_file.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/temp_dir.h"

namespace mxir::hooks {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

TEST(PasswordFile, PrivateAppendedAndKept) {
  std::string dir = testing::MakeTempDir("mxir-pwfile");
  std::string path = dir + "/new.txt";
  mode_t old = ::umask(0);  // even with a permissive umask the file is 0600
  auto f = PasswordFile::Create(path);
  ::umask(old);
  ASSERT_TRUE(f.ok()) << f.error().message;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600);
  ASSERT_TRUE(f->Append("alice@acme.example", "Pw-1", true).ok());
  // Synced line by line: readable before Finish (what a crash would leave).
  EXPECT_EQ(Read(path), "alice@acme.example\tPw-1\n");
  ASSERT_TRUE(f->Append("bob@acme.example", "Pw-2", true).ok());
  EXPECT_TRUE(f->Finish());
  EXPECT_EQ(Read(path), "alice@acme.example\tPw-1\nbob@acme.example\tPw-2\n");

  auto single = PasswordFile::Create(dir + "/one.txt");
  ASSERT_TRUE(single.ok());
  ASSERT_TRUE(single->Append("carol", "Pw-3", false).ok());
  EXPECT_TRUE(single->Finish());
  EXPECT_EQ(Read(dir + "/one.txt"), "Pw-3\n");
}

TEST(PasswordFile, NeverAnExistingFileOrALink) {
  std::string dir = testing::MakeTempDir("mxir-pwfile");
  std::string existing = dir + "/there.txt";
  std::ofstream(existing) << "keep me\n";
  auto f = PasswordFile::Create(existing);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kUsage);
  EXPECT_NE(f.error().message.find("never overwritten"), std::string::npos);
  EXPECT_EQ(Read(existing), "keep me\n");

  // A link, even to a file that does not exist yet, is refused: the passwords would land
  // wherever the link's owner chose.
  std::string link = dir + "/link.txt";
  ASSERT_EQ(::symlink((dir + "/elsewhere.txt").c_str(), link.c_str()), 0);
  auto l = PasswordFile::Create(link);
  ASSERT_FALSE(l.ok());
  EXPECT_FALSE(Exists(dir + "/elsewhere.txt"));

  auto missing_dir = PasswordFile::Create(dir + "/no/such/dir.txt");
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code, ErrorCode::kIo);
  EXPECT_NE(missing_dir.error().message.find("nothing was reset"), std::string::npos);
}

TEST(PasswordFile, RemovedWhenNothingWasSetButOnlyIfStillOurs) {
  std::string dir = testing::MakeTempDir("mxir-pwfile");
  std::string path = dir + "/unused.txt";
  {
    auto f = PasswordFile::Create(path);
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE(Exists(path));
    EXPECT_FALSE(f->Finish());
    EXPECT_FALSE(Exists(path));
  }
  // Someone put another file at the name meanwhile: it is not ours to remove.
  auto f = PasswordFile::Create(path);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(::unlink(path.c_str()), 0);
  std::ofstream(path) << "not ours\n";
  EXPECT_FALSE(f->Finish());
  EXPECT_EQ(Read(path), "not ours\n");
  // Finish is idempotent; Append after it says so instead of writing anywhere.
  EXPECT_FALSE(f->Finish());
  EXPECT_FALSE(f->Append("a", "b", false).ok());
}

}  // namespace
}  // namespace mxir::hooks
