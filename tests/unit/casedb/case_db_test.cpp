#include "casedb/case_db.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/stat.h>

#include "../common/temp_dir.h"
#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/case_export.h"
#include "casedb/case_meta.h"
#include "casedb/event_reader.h"
#include "casedb/event_store.h"
#include "casedb/finding_store.h"
#include "casedb/schema.h"
#include "casedb/timeline.h"
#include "core/file_util.h"

namespace mxir::casedb {
namespace {

std::string TempDir() { return testing::MakeTempDir("mxir-casedb-test"); }

NewCase Info() {
  NewCase n;
  n.title = "Acme outbreak";
  n.domains = {"Acme.Example."};
  n.ips = {"203.0.113.25", "198.51.100.0/28"};
  n.accounts = {"bob@acme.example"};
  return n;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(CaseDb, CreateMakesPrivateFilesAndRecordsIt) {
  std::string path = TempDir() + "/a.case";
  mode_t old = umask(0);  // even a permissive umask must not loosen the case
  auto c = CaseDb::Create(path, Info());
  umask(old);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + ".key"), 0600u);
  // Write something so the WAL file exists, then check its mode too.
  ActionLog log(*c);
  ASSERT_TRUE(log.Record("test", "x", "poke", "ok").ok());
  if (FileExists(path + "-wal")) {
    EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
  }
  if (FileExists(path + "-shm")) {
    EXPECT_EQ(ModeOf(path + "-shm"), 0600u);
  }

  CaseMeta meta(*c);
  EXPECT_EQ(*meta.Get("title"), "Acme outbreak");
  AssetStore assets(*c);
  auto list = assets.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 4u);
  std::set<std::string> values;
  for (const auto& a : *list) values.insert(std::string(AssetKindName(a.kind)) + ":" + a.value);
  EXPECT_TRUE(values.count("domain:acme.example"));  // normalised
  EXPECT_TRUE(values.count("network:198.51.100.0/28"));
  auto actions = log.List();
  ASSERT_TRUE(actions.ok());
  EXPECT_EQ(actions->front().action, "create case");
  // The key is not inside the database.
  auto key = ReadFile(path + ".key");
  ASSERT_TRUE(key.ok());
  std::ostringstream dump;
  ASSERT_TRUE(ExportCaseJson(*c, dump).ok());
  EXPECT_EQ(dump.str().find(key->substr(0, 32)), std::string::npos);
  auto journal = Statement::Prepare(c->db(), "PRAGMA journal_mode");
  ASSERT_TRUE(journal.ok());
  ASSERT_TRUE(*journal->Step());
  EXPECT_EQ(journal->ColumnText(0), "wal");
}

TEST(CaseDb, CreateRefusesExistingFileAndBadAssets) {
  std::string dir = TempDir();
  ASSERT_TRUE(CaseDb::Create(dir + "/a.case", Info()).ok());
  auto again = CaseDb::Create(dir + "/a.case", Info());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().ExitStatus(), 2);
  NewCase bad = Info();
  bad.ips = {"300.1.1.1"};
  auto r = CaseDb::Create(dir + "/b.case", bad);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(FileExists(dir + "/b.case"));  // nothing left behind
  EXPECT_FALSE(FileExists(dir + "/b.case.key"));
}

struct BadFile {
  const char* name;
  std::string bytes;
  const char* expect;
};

TEST(CaseDb, BadFilesGiveClearErrorsNeverCrash) {
  std::string dir = TempDir();
  // A real case, then damaged copies of it.
  ASSERT_TRUE(CaseDb::Create(dir + "/good.case", Info()).ok());
  std::string good = *ReadFile(dir + "/good.case");
  sqlite3* other;
  ASSERT_EQ(sqlite3_open((dir + "/other.db").c_str(), &other), SQLITE_OK);
  sqlite3_exec(other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  std::string random(8192, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 7919 + 13) % 251);
  std::vector<BadFile> files = {
      {"empty.case", "", "is empty"},
      {"random.case", random, "not an SQLite database"},
      {"text.case", "hello\n", "not an SQLite database"},
      {"other.db", *ReadFile(dir + "/other.db"), "not an mxir case"},
      {"truncated.case", good.substr(0, 100), ""},
      {"zeroed-pages.case", good.substr(0, 100) + std::string(good.size() - 100, '\0'), ""},
  };
  for (const auto& f : files) {
    std::string path = dir + "/" + f.name;
    if (f.name != std::string("other.db")) {
      ASSERT_TRUE(WritePrivateFile(path, f.bytes, true).ok());
    }
    auto c = CaseDb::Open(path);
    if (c.ok()) {
      // Damage that only shows when reading must surface as an error, not a crash.
      auto n = CountEvents(*c);
      CaseMeta meta(*c);
      auto all = meta.All();
      EXPECT_TRUE(!n.ok() || !all.ok() || all->empty()) << f.name;
      continue;
    }
    EXPECT_EQ(c.error().ExitStatus(), 2) << f.name << ": " << c.error().message;
    if (*f.expect) {
      EXPECT_NE(c.error().message.find(f.expect), std::string::npos) << c.error().message;
    }
  }
  auto missing = CaseDb::Open(dir + "/missing.case");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ExitStatus(), 2);
  EXPECT_NE(missing.error().message.find("no such case — create it with mxir case new"),
            std::string::npos);
  auto directory = CaseDb::Open(dir);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().ExitStatus(), 2);
}

TEST(CaseDb, CreateIfMissing) {
  std::string path = TempDir() + "/auto.case";
  auto c = CaseDb::Open(path, /*create_if_missing=*/true, "capture");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(ModeOf(path), 0600u);
  CaseMeta meta(*c);
  EXPECT_EQ(*meta.Get("title"), "created by mxir capture");
}

TEST(CaseDb, RefusesCaseFromNewerMxir) {
  std::string path = TempDir() + "/new.case";
  {
    auto c = CaseDb::Create(path, Info());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->db().Exec("PRAGMA user_version = 99").ok());
  }
  auto c = CaseDb::Open(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kVersion);
  EXPECT_EQ(c.error().ExitStatus(), 2);
  EXPECT_NE(c.error().message.find("newer mxir"), std::string::npos);
}

// The events table keeps the two indexes a query uses (identity (loc, key), time); the client
// and account indexes of schema 6 cost each insert and served no query (schema step 7 drops them).
TEST(CaseDb, EventsKeepOnlyTheIndexesQueriesUse) {
  std::string path = TempDir() + "/idx.case";
  auto indexes = [](CaseDb& c) {
    std::vector<std::string> names;
    auto st = Statement::Prepare(c.db(),
                                 "SELECT name FROM sqlite_schema WHERE type = 'index' AND "
                                 "tbl_name = 'events' ORDER BY name");
    EXPECT_TRUE(st.ok());
    while (*st->Step()) names.push_back(st->ColumnText(0));
    return names;
  };
  {
    auto c = CaseDb::Create(path, Info());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(indexes(*c), (std::vector<std::string>{"events_by_loc_key", "events_by_ts"}));
    // A case of schema 6 (both indexes present, key alone) migrates to the current schema.
    ASSERT_TRUE(c->db()
                    .Exec("DROP INDEX events_by_loc_key; ALTER TABLE events DROP COLUMN loc; "
                          "CREATE UNIQUE INDEX events_by_key ON events (key); "
                          "CREATE INDEX events_by_client ON events (client_ip) WHERE client_ip "
                          "IS NOT NULL; CREATE INDEX events_by_user ON events (user) WHERE user "
                          "IS NOT NULL; PRAGMA user_version = 6")
                    .ok());
  }
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*ReadSchemaVersion(c->db()), CurrentSchemaVersion());
  EXPECT_EQ(indexes(*c), (std::vector<std::string>{"events_by_loc_key", "events_by_ts"}));
}

TEST(CaseDb, MigratesOlderSchemaKeepingEveryRow) {
  std::string path = TempDir() + "/old.case";
  auto sql = ReadFile(std::string(MXIR_CASEDB_FIXTURES) + "/case_v1.sql");
  ASSERT_TRUE(sql.ok());
  sqlite3* raw;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, sql->c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);

  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*ReadSchemaVersion(c->db()), CurrentSchemaVersion());
  CaseMeta meta(*c);
  EXPECT_EQ(*meta.Get("title"), "Old case from schema 1");
  AssetStore assets(*c);
  EXPECT_EQ(assets.List()->size(), 2u);
  EXPECT_EQ(*CountEvents(*c), 1);
  int64_t seen = 0;
  ASSERT_TRUE(ForEachEvent(*c, {}, [&](const Event& e) {
                EXPECT_EQ(e.user, "bob");
                ++seen;
                return true;
              }).ok());
  EXPECT_EQ(seen, 1);
  ActionLog log(*c);
  auto actions = log.List();
  ASSERT_EQ(actions->size(), 2u);
  EXPECT_EQ(actions->back().action, "upgrade case schema");
  EXPECT_EQ(actions->back().details["from"], 1);
  FindingStore findings(*c);  // a table of the newer schema works
  Finding f;
  f.id = "f1";
  f.kind = "brute_force";
  EXPECT_TRUE(findings.Upsert(f).ok());
  // Opening again does not migrate again.
  auto again = CaseDb::Open(path);
  ASSERT_TRUE(again.ok());
  ActionLog log2(*again);
  EXPECT_EQ(log2.List()->size(), 2u);
}

TEST(CaseDb, FingerprintKeyIsPerCase) {
  std::string dir = TempDir();
  auto a = CaseDb::Create(dir + "/a.case", Info());
  auto b = CaseDb::Create(dir + "/b.case", Info());
  ASSERT_TRUE(a.ok() && b.ok());
  auto fa = a->Fingerprinter();
  auto fb = b->Fingerprinter();
  ASSERT_TRUE(fa.ok() && fb.ok());
  EXPECT_EQ(fa->Fingerprint("pw"), a->Fingerprinter()->Fingerprint("pw"));
  EXPECT_NE(fa->Fingerprint("pw"), fb->Fingerprint("pw"));
}

TEST(FindingStore, UpsertUpdatesInsteadOfDuplicating) {
  auto c = CaseDb::Create(TempDir() + "/f.case", Info());
  ASSERT_TRUE(c.ok());
  FindingStore store(*c);
  Finding f;
  f.id = "stale_credentials:192.0.2.7:bob";
  f.kind = "stale_credentials";
  f.severity = Severity::kMedium;
  f.client_ip = "192.0.2.7";
  f.user = "bob";
  f.first_seen = Timestamp::FromSeconds(1000);
  f.last_seen = Timestamp::FromSeconds(2000);
  f.counts = {{"attempts", 10}};
  EXPECT_TRUE(*store.Upsert(f));
  f.last_seen = Timestamp::FromSeconds(3000);
  f.counts = {{"attempts", 15}};
  EXPECT_FALSE(*store.Upsert(f));
  auto all = store.List();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().counts["attempts"], 15);
  EXPECT_EQ(all->front().last_seen.seconds(), 3000);
}

TEST(Timeline, MergesInTimeOrderAndExportParses) {
  ManualClock clock(Timestamp::FromSeconds(5000));
  auto c = CaseDb::Create(TempDir() + "/t.case", Info(), clock);
  ASSERT_TRUE(c.ok());
  {
    EventWriter w(*c);
    for (int i = 0; i < 3; ++i) {
      Event e;
      e.ts = Timestamp::FromSeconds(4000 + i * 2000);
      e.kind = EventKind::kAuth;
      e.source = "test";
      e.user = "bob";
      e.outcome = "failure";
      e.client_ip = IpAddress::Parse("192.0.2.7");
      ASSERT_TRUE(w.Add(e).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  std::vector<std::string> order;
  ASSERT_TRUE(ForEachTimelineEntry(*c, std::nullopt, std::nullopt, [&](const TimelineEntry& t) {
                order.push_back(t.type + "@" + std::to_string(t.ts.seconds()));
              }).ok());
  std::vector<std::string> want = {"event@4000", "action@5000", "event@6000", "event@8000"};
  EXPECT_EQ(order, want);
  std::ostringstream out;
  ASSERT_TRUE(ExportCaseJson(*c, out).ok());
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["events"].size(), 3u);
  EXPECT_EQ(j["events"][0]["json"]["user"], "bob");
  EXPECT_EQ(j["case"]["title"], "Acme outbreak");
  EXPECT_TRUE(j.contains("findings"));
}

}  // namespace
}  // namespace mxir::casedb

namespace mxir::casedb {
namespace {

// Opening a case a second time in one process must not drop the locks the first connection
// holds (closing any descriptor of a file drops all of the process's POSIX locks on it). Seen:
// the relay's policy service lost a row another process had committed. In WAL mode every open
// connection keeps a shared lock on the case file; another process that closes its connection
// and can take the exclusive lock believes it is the last one, checkpoints and deletes the WAL
// under our feet. So after B opens the same case in this process, another process's connection
// closing must leave the WAL in place.
TEST(CaseDb, SecondOpenInOneProcessKeepsTheFirstConnectionsLocks) {
  std::string path = TempDir() + "/locks.case";
  {
    auto c = CaseDb::Create(path, Info());
    ASSERT_TRUE(c.ok()) << c.error().message;
  }
  auto a = CaseDb::Open(path);
  ASSERT_TRUE(a.ok()) << a.error().message;
  {
    ActionLog log(*a);
    ASSERT_TRUE(log.Record("test", "x", "poke", "ok").ok());
  }
  ASSERT_TRUE(FileExists(path + "-wal"));
  auto b = CaseDb::Open(path);
  ASSERT_TRUE(b.ok()) << b.error().message;
  std::string cmd = "sqlite3 '" + path + "' 'SELECT count(*) FROM actions;' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_TRUE(FileExists(path + "-wal"))
      << "another process took the case's exclusive lock while it was open here";
}

}  // namespace
}  // namespace mxir::casedb
