#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "core/counters.h"
#include "core/file_util.h"
#include "core/ini_file.h"
#include "core/record_printer.h"
#include "core/secret_fingerprint.h"

namespace mxir {
namespace {

std::string TempPath(const std::string& name) {
  return testing::MakeTempDir("mxir-core-test") + "/" + name;
}

TEST(RecordPrinter, AllFormats) {
  nlohmann::ordered_json r1 = {{"ip", "192.0.2.1"}, {"n", 3}, {"users", {"a", "b"}}};
  nlohmann::ordered_json r2 = {{"ip", "192.0.2.2, \"x\""}, {"n", 10}};
  std::vector<Column> cols = {{"ip", "IP"}, {"n", "N"}, {"users", "USERS"}};
  auto render = [&](OutputFormat f) {
    std::ostringstream out;
    RecordPrinter p(out, f, cols);
    p.Add(r1);
    p.Add(r2);
    p.Finish();
    return out.str();
  };
  auto json = nlohmann::json::parse(render(OutputFormat::kJson));
  EXPECT_EQ(json.size(), 2u);
  std::istringstream lines(render(OutputFormat::kJsonl));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(nlohmann::json::accept(line));
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_EQ(render(OutputFormat::kCsv),
            "ip,n,users\n192.0.2.1,3,\"a, b\"\n\"192.0.2.2, \"\"x\"\"\",10,\n");
  std::string table = render(OutputFormat::kTable);
  EXPECT_NE(table.find("IP"), std::string::npos);
  EXPECT_NE(table.find("a, b"), std::string::npos);
  EXPECT_NE(table.find(" -"), std::string::npos);  // missing value
  std::ostringstream empty;
  { RecordPrinter p(empty, OutputFormat::kJson, cols); }
  EXPECT_EQ(nlohmann::json::parse(empty.str()).size(), 0u);
}

TEST(RecordPrinter, FormatNamesAreChecked) {
  EXPECT_TRUE(ParseOutputFormat("jsonl", {"table", "jsonl"}).ok());
  auto bad = ParseOutputFormat("xml", {"table", "json"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("table, json"), std::string::npos);
}

TEST(Counters, JsonAndSummary) {
  Counters c;
  c.Add("lines", 10);
  c.Add("skipped.bad_json");
  c.Add("skipped.too_long", 2);
  c.Add("events", 7);
  c.Add("skipped.bad_json");
  auto j = nlohmann::json::parse(c.ToJson());
  EXPECT_EQ(j["lines"], 10);
  EXPECT_EQ(j["skipped"]["bad_json"], 2);
  EXPECT_EQ(j["skipped"]["too_long"], 2);
  EXPECT_EQ(c.Summary(), "10 lines, skipped (bad json 2, too long 2), 7 events");
}

TEST(SecretFingerprint, KeyedStableAndPrivate) {
  std::string path = TempPath("fp.key");
  ASSERT_TRUE(SecretFingerprinter::CreateKeyFile(path).ok());
  EXPECT_EQ(*FileMode(path), 0600u);
  EXPECT_FALSE(SecretFingerprinter::CreateKeyFile(path).ok());  // never overwrites
  auto a = SecretFingerprinter::FromKeyFile(path);
  ASSERT_TRUE(a.ok());
  std::string fp = a->Fingerprint("Winter2026!");
  EXPECT_EQ(fp.size(), 16u);
  EXPECT_EQ(fp, a->Fingerprint("Winter2026!"));
  EXPECT_NE(fp, a->Fingerprint("Winter2027!"));
  std::string other = TempPath("fp2.key");
  ASSERT_TRUE(SecretFingerprinter::CreateKeyFile(other).ok());
  EXPECT_NE(fp, SecretFingerprinter::FromKeyFile(other)->Fingerprint("Winter2026!"));
  // Known answer (openssl dgst -sha256 -mac HMAC -macopt hexkey:00...00).
  std::array<uint8_t, 32> zero{};
  EXPECT_EQ(SecretFingerprinter(zero).Fingerprint("password"), "7f777bccedb2356c");
  chmod(path.c_str(), 0644);
  auto loose = SecretFingerprinter::FromKeyFile(path);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);
}

// Known answers (Python's hmac.new(key, secret, sha256), first 8 bytes) for secrets shorter and
// longer than a SHA-256 block, empty and not ASCII; copies and moved-to objects give the same, and
// so do several threads at once.
TEST(SecretFingerprint, KnownAnswersCopiesAndThreads) {
  std::array<uint8_t, 32> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  const std::vector<std::pair<std::string, std::string>> known = {
      {"", "d38b42096d80f45f"},
      {"password", "efbcd5f31747b7a0"},
      {std::string(200, 'x'), "7b48ae507721b7fe"},
      {"P\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac", "3200e500d6aa29ff"}};
  SecretFingerprinter fp(key);
  SecretFingerprinter copy = fp;
  SecretFingerprinter moved = std::move(copy);
  for (const auto& [secret, want] : known) {
    EXPECT_EQ(fp.Fingerprint(secret), want);
    EXPECT_EQ(moved.Fingerprint(secret), want);
  }
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        const auto& [secret, want] = known[static_cast<size_t>(i) % known.size()];
        if (fp.Fingerprint(secret) != want) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(SecretFingerprint, DamagedKeyFile) {
  std::string path = TempPath("bad.key");
  ASSERT_TRUE(WritePrivateFile(path, "not hex\n").ok());
  auto r = SecretFingerprinter::FromKeyFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

TEST(FileUtil, AtomicReplaceKeepsMode) {
  std::string path = TempPath("f.txt");
  ASSERT_TRUE(WritePrivateFile(path, "one").ok());
  chmod(path.c_str(), 0640);
  ASSERT_TRUE(ReplaceFileAtomically(path, "two").ok());
  EXPECT_EQ(*ReadFile(path), "two");
  EXPECT_EQ(*FileMode(path), 0640u);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(*Sha256OfFile(path), Sha256Hex("two"));
  EXPECT_EQ(ReadFile(path + ".missing").error().code, ErrorCode::kNotFound);
}

TEST(IniFile, ParsesAndRefusesLooseFiles) {
  auto ini =
      IniFile::Parse("# c\ntop = 1\n[dovecot]\npasswd_file = /x/y\n ; c\nscheme=BLF-CRYPT\n", "t");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(ini->GetOr("", "top", ""), "1");
  EXPECT_EQ(*ini->Get("dovecot", "scheme"), "BLF-CRYPT");
  EXPECT_FALSE(ini->Get("dovecot", "nope"));
  EXPECT_EQ(ini->SectionNames(), std::vector<std::string>{"dovecot"});
  auto bad = IniFile::Parse("[x\n", "t");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("t:1"), std::string::npos);
  EXPECT_FALSE(IniFile::Parse("novalue\n", "t").ok());
  std::string path = TempPath("hooks.ini");
  ASSERT_TRUE(WritePrivateFile(path, "[a]\nk = v\n").ok());
  EXPECT_TRUE(IniFile::Load(path, true).ok());
  chmod(path.c_str(), 0604);
  auto loose = IniFile::Load(path, true);
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().ExitStatus(), 2);
}

}  // namespace
}  // namespace mxir

namespace mxir {
namespace {

TEST(SecretFingerprint, UserKeyOnAFreshAccount) {
  std::string home = testing::MakeTempDir("mxir-home");
  const char* old_home = std::getenv("HOME");
  std::string saved = old_home ? old_home : "";
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", home.c_str(), 1);
  std::string path = SecretFingerprinter::DefaultUserKeyPath();
  EXPECT_EQ(path, home + "/.local/share/mxir/fp.key");
  auto fp = SecretFingerprinter::LoadOrCreate(path);
  ASSERT_TRUE(fp.ok()) << fp.error().message;
  EXPECT_EQ(*FileMode(home + "/.local/share/mxir"), 0700u);
  EXPECT_EQ(*FileMode(path), 0600u);
  if (old_home) setenv("HOME", saved.c_str(), 1);
}

}  // namespace
}  // namespace mxir
