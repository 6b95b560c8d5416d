// Case files under the review's conditions: a full disk (M4), an old key beside a new case (M7),
// a negative schema version (L2), a FIFO given as --case.
#include <chrono>
#include <cstdio>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "casedb/case_db.h"
#include "casedb/event_reader.h"
#include "casedb/event_store.h"
#include "core/file_util.h"

namespace mxir::casedb {
namespace {

// A new case with only a title (the rest of NewCase as it defaults).
casedb::NewCase Titled(const char* title) {
  casedb::NewCase n;
  n.title = title;
  return n;
}

Event MakeEvent(int64_t line) {
  Event e;
  e.ts = Timestamp::FromSeconds(1700000000 + line);
  e.source = "postfix";
  e.origin.file = "maillog";
  e.origin.sha256 = "ab";
  e.origin.line = line;
  e.kind = EventKind::kAuth;
  e.user = "user" + std::to_string(line % 17) + std::string(200, 'x');
  e.outcome = "failure";
  return e;
}

// M4: SQLite says "full" (max_page_count stands in for a full disk); the writer must return that
// error, never index past its row buffer, and leave the batches committed before intact.
TEST(HardeningCase, FullDiskIsAnErrorAndCommittedBatchesStay) {
  std::string path = mxir::testing::MakeTempDir("mxir-hard") + "/c.case";
  ASSERT_TRUE(CaseDb::Create(path, Titled("t")).ok());
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  int64_t committed = 0;
  {
    EventWriter w(*c, 100);
    for (int i = 1; i <= 300; ++i) ASSERT_TRUE(w.Add(MakeEvent(i)).ok());
    ASSERT_TRUE(w.Finish().ok());
    committed = w.inserted();
  }
  auto pages = [&] {
    Statement st = Statement::Prepare(c->db(), "PRAGMA page_count").value();
    (void)st.Step();
    return st.ColumnInt(0);
  };
  ASSERT_TRUE(c->db().Exec("PRAGMA max_page_count = " + std::to_string(pages() + 2)).ok());
  Status first;
  int errors = 0;
  {
    EventWriter w(*c, 100);
    for (int i = 1000; i < 21000; ++i) {
      Status s = w.Add(MakeEvent(i));
      if (!s.ok()) {
        if (errors++ == 0) first = s;
      }
    }
    Status f = w.Finish();
    EXPECT_FALSE(f.ok());
  }
  ASSERT_GT(errors, 0);
  EXPECT_NE(first.error().message.find("full"), std::string::npos) << first.error().message;
  auto n = CountEvents(*c);
  ASSERT_TRUE(n.ok());
  EXPECT_GE(*n, committed);
}

// M7: "case new" must not delete the key of a case that was renamed away from this name.
TEST(HardeningCase, NewCaseNeverDeletesAnExistingKey) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  ASSERT_TRUE(CaseDb::Create(dir + "/a.case", Titled("T")).ok());
  ASSERT_EQ(std::rename((dir + "/a.case").c_str(), (dir + "/b.case").c_str()), 0);
  auto again = CaseDb::Create(dir + "/a.case", Titled("T2"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_TRUE(FileExists(dir + "/a.case.key"));
  EXPECT_FALSE(FileExists(dir + "/a.case"));
}

// L2: a corrupt (negative) schema version is an error, not a crash.
TEST(HardeningCase, NegativeSchemaVersionIsCorrupt) {
  std::string path = mxir::testing::MakeTempDir("mxir-hard") + "/c.case";
  ASSERT_TRUE(CaseDb::Create(path, Titled("t")).ok());
  {
    auto c = CaseDb::Open(path);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->db().Exec("PRAGMA user_version = -1").ok());
  }
  auto c = CaseDb::Open(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kCorrupt);
}

// Suspicion 9: a FIFO given as --case is refused at once.
TEST(HardeningCase, FifoAsCaseIsRefusedWithoutWaiting) {
  std::string path = mxir::testing::MakeTempDir("mxir-hard") + "/fifo.case";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto start = std::chrono::steady_clock::now();
  auto c = CaseDb::Open(path);
  EXPECT_FALSE(c.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mxir::casedb
