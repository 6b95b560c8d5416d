// Files someone else controls and the process environment: temporary names (M9), symlinked
// targets (L4), reading a user's files (H3), key files (L7), children's environment and core
// dumps (L8), terminal output (L6), evidence files (L5).
#include <chrono>
#include <cstdlib>
#include <fstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "capture/live_source.h"
#include "core/file_util.h"
#include "core/ini_file.h"
#include "core/process_info.h"
#include "core/record_printer.h"
#include "core/secret_fingerprint.h"

namespace mxir {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// M9: the review pre-created ".mxir-tmp-PID" for the next few hundred PIDs; the write then failed
// after the password was set. Names are now random: pre-created ones do not matter.
TEST(HardeningFiles, ReplaceIgnoresPrecreatedTemporaryNames) {
  std::string dir = testing::MakeTempDir("mxir-hard");
  std::string target = dir + "/pw.txt";
  for (int p = ::getpid() - 5; p < ::getpid() + 300; ++p) {
    std::ofstream(target + ".mxir-tmp-" + std::to_string(p)) << "";
  }
  Status s = ReplaceFileAtomically(target, "secret\n", 0600);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(Slurp(target), "secret\n");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// L4: a symlinked passwd-file: the file it names is replaced, the link stays a link.
TEST(HardeningFiles, ReplaceFollowsASymlinkToItsTarget) {
  std::string dir = testing::MakeTempDir("mxir-hard");
  std::ofstream(dir + "/users.real") << "old\n";
  ::chmod((dir + "/users.real").c_str(), 0640);
  ASSERT_EQ(::symlink("users.real", (dir + "/users").c_str()), 0);
  ASSERT_TRUE(ReplaceFileAtomically(dir + "/users", "new\n").ok());
  struct stat lst {};
  ASSERT_EQ(::lstat((dir + "/users").c_str(), &lst), 0);
  EXPECT_TRUE(S_ISLNK(lst.st_mode));
  EXPECT_EQ(Slurp(dir + "/users.real"), "new\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/users.real").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // the target's mode kept
}

// H3: a user's "sieve script" may be a symlink to /dev/zero, a FIFO, or huge.
TEST(HardeningFiles, ReadRegularFileRefusesLinksFifosDevicesAndHugeFiles) {
  std::string dir = testing::MakeTempDir("mxir-hard");
  ASSERT_EQ(::symlink("/dev/zero", (dir + "/zero").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  std::ofstream(dir + "/big") << std::string(5000, 'x');
  std::ofstream(dir + "/ok") << "redirect \"x@y\";\n";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ReadRegularFile(dir + "/zero", 1 << 20).ok());
  EXPECT_FALSE(ReadRegularFile(dir + "/fifo", 1 << 20).ok());  // returns at once
  EXPECT_FALSE(ReadRegularFile("/dev/zero", 1 << 20).ok());
  EXPECT_FALSE(ReadRegularFile(dir + "/big", 4096).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  auto ok = ReadRegularFile(dir + "/ok", 4096);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "redirect \"x@y\";\n");
}

// L7: a key file someone else made is known to them; with HOME unset the key is never in /tmp.
TEST(HardeningFiles, KeyFileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a file owned by another user";
  std::string dir = testing::MakeTempDir("mxir-hard");
  std::string key = dir + "/fp.key";
  ASSERT_TRUE(SecretFingerprinter::CreateKeyFile(key).ok());
  ASSERT_TRUE(SecretFingerprinter::FromKeyFile(key).ok());
  ASSERT_EQ(::chown(key.c_str(), 65534, 65534), 0);
  auto r = SecretFingerprinter::FromKeyFile(key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("belongs to another user"), std::string::npos);
  // A case's own key is still read (whoever may use the case may use its key).
  EXPECT_TRUE(SecretFingerprinter::FromKeyFile(key, /*check_owner=*/false).ok());
}

// Suspicion 4: a hooks file names programs mxir reset runs (exec command, doveadm, Postfix's
// command_dir), usually as root, but only its mode was checked: a 0600 file of another user, or
// one in a directory another user can write, made root run that user's program.
TEST(HardeningFiles, HooksFileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make files owned by another user";
  std::string dir = testing::MakeTempDir("mxir-hard");
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  std::string path = dir + "/hooks.ini";
  {
    std::ofstream out(path);
    out << "[exec]\ncommand = /tmp/evil.sh\n";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(IniFile::Load(path, true).ok());
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  auto r = IniFile::Load(path, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("belongs to nobody (uid 65534)"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().ExitStatus(), 2);
  // A link to it is judged by what it points at.
  ASSERT_EQ(::symlink(path.c_str(), (dir + "/link.ini").c_str()), 0);
  EXPECT_FALSE(IniFile::Load(dir + "/link.ini", true).ok());
  ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  EXPECT_TRUE(IniFile::Load(dir + "/link.ini", true).ok());
  // Root's file in a directory another user owns, or anyone may write: refused.
  std::string sub = dir + "/sub";
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  std::string inner = sub + "/hooks.ini";
  ASSERT_EQ(::rename(path.c_str(), inner.c_str()), 0);
  ASSERT_EQ(::chown(sub.c_str(), 65534, 65534), 0);
  r = IniFile::Load(inner, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("who could replace the file"), std::string::npos)
      << r.error().message;
  ASSERT_EQ(::chown(sub.c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(sub.c_str(), 0777), 0);
  r = IniFile::Load(inner, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("group or others can write"), std::string::npos)
      << r.error().message;
  // Sticky (like /tmp): only the file's owner (root) can replace it.
  ASSERT_EQ(::chmod(sub.c_str(), 01777), 0);
  EXPECT_TRUE(IniFile::Load(inner, true).ok());
  // Files that need not be private (detect's settings) are read as before.
  ASSERT_EQ(::chmod(sub.c_str(), 0777), 0);
  EXPECT_TRUE(IniFile::Load(inner, false).ok());
}

TEST(HardeningFiles, NoHomeMeansNoKeyInTmp) {
  const char* home = std::getenv("HOME");
  std::string saved_home = home ? home : "";
  const char* xdg = std::getenv("XDG_DATA_HOME");
  std::string saved_xdg = xdg ? xdg : "";
  ::unsetenv("HOME");
  ::unsetenv("XDG_DATA_HOME");
  std::string path = SecretFingerprinter::DefaultUserKeyPath();
  if (!saved_home.empty()) ::setenv("HOME", saved_home.c_str(), 1);
  if (!saved_xdg.empty()) ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);
  EXPECT_EQ(path.rfind("/tmp/", 0), std::string::npos) << path;
}

// Without --case or --fp-key, capture and ingest use the per-user key (0600, the same on the next
// run); where none can be kept, a key for this run only, said so, never none at all.
TEST(HardeningFiles, UserKeyIsKeptOrATemporaryOneIsSaid) {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  std::string saved_xdg = xdg ? xdg : "";
  std::string dir = testing::MakeTempDir("mxir-userkey");
  ::setenv("XDG_DATA_HOME", dir.c_str(), 1);
  std::string warning = "stale";
  auto first = SecretFingerprinter::ForThisUser(&warning);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(warning, "");
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/mxir/fp.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = SecretFingerprinter::ForThisUser(&warning);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->Fingerprint("Winter2026!"), again->Fingerprint("Winter2026!"));

  // A data directory that cannot hold the key (a file where the directory should be).
  std::string blocked = dir + "/not-a-dir";
  std::ofstream(blocked) << "x";
  ::setenv("XDG_DATA_HOME", blocked.c_str(), 1);
  auto temporary = SecretFingerprinter::ForThisUser(&warning);
  auto temporary2 = SecretFingerprinter::ForThisUser(&warning);
  if (saved_xdg.empty()) {
    ::unsetenv("XDG_DATA_HOME");
  } else {
    ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);
  }
  ASSERT_TRUE(temporary.ok()) << temporary.error().message;
  ASSERT_TRUE(temporary2.ok());
  EXPECT_NE(warning.find("temporary key for this run"), std::string::npos) << warning;
  EXPECT_NE(warning.find("--fp-key"), std::string::npos) << warning;
  // Compares within the run, matches no other run (and not the kept key).
  EXPECT_EQ(temporary->Fingerprint("a"), temporary->Fingerprint("a"));
  EXPECT_NE(temporary->Fingerprint("a"), temporary2->Fingerprint("a"));
  EXPECT_NE(temporary->Fingerprint("a"), first->Fingerprint("a"));
}

// L8: a hook's command sees none of mxir's other secrets; core dumps are off.
TEST(HardeningFiles, ChildEnvironmentIsMinimal) {
  ::setenv("LDAP_BIND_PW", "TopSecretBind99", 1);
  ::setenv("LANG", "C.UTF-8", 1);
  auto env = ChildEnvironment({{"MXIR_ACCOUNT", "bob"}});
  ::unsetenv("LDAP_BIND_PW");
  bool has_path = false, has_account = false, has_lang = false;
  for (const auto& e : env) {
    EXPECT_EQ(e.find("TopSecretBind99"), std::string::npos) << e;
    has_path |= e.rfind("PATH=", 0) == 0;
    has_account |= e == "MXIR_ACCOUNT=bob";
    has_lang |= e == "LANG=C.UTF-8";
  }
  EXPECT_TRUE(has_path);
  EXPECT_TRUE(has_account);
  EXPECT_TRUE(has_lang);
}

TEST(HardeningFiles, CoreDumpsOff) {
  DisableCoreDumps();
  struct rlimit r {};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &r), 0);
  EXPECT_EQ(r.rlim_cur, 0u);
  EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

// L6: text from a log (ESC [ 8 m hides the rows after it) never reaches a terminal raw.
TEST(HardeningFiles, TableCellsCarryNoTerminalControls) {
  std::ostringstream out;
  {
    RecordPrinter p(out, OutputFormat::kTable, {{"user", "USER", 40}});
    p.Add(nlohmann::ordered_json{{"user",
                                  "x\x1b[8m\x07\x7f\xc2\x9b"
                                  "2J"}});
  }
  std::string text = out.str();
  for (unsigned char c : text) {
    EXPECT_TRUE(c == '\n' || c >= 0x20) << int(c);
    EXPECT_NE(c, 0x7f);
  }
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
  EXPECT_NE(text.find("x [8m"), std::string::npos) << text;
}

// L5: --write never truncates existing evidence and makes its file 0600 whatever the umask.
TEST(HardeningFiles, PcapWriterNeverOverwritesAndIsPrivate) {
  std::string dir = testing::MakeTempDir("mxir-hard");
  std::string old = dir + "/evidence.pcap";
  std::ofstream(old) << "previous evidence";
  ::chmod(old.c_str(), 0644);
  auto w = capture::PcapWriter::Create(old, 1, 65535);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(Slurp(old), "previous evidence");
  mode_t saved = ::umask(0);
  auto fresh = capture::PcapWriter::Create(dir + "/new.pcap", 1, 65535);
  ::umask(saved);
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/new.pcap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace mxir
