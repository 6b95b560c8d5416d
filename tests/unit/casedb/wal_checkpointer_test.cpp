#include "casedb/wal_checkpointer.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "casedb/case_db.h"

namespace mxir::casedb {
namespace {

std::string NewCasePath() {
  std::string path = testing::MakeTempDir("mxir-ckpt-test") + "/c.case";
  NewCase n;
  n.title = "checkpoints";
  EXPECT_TRUE(CaseDb::Create(path, n).ok());
  return path;
}

int64_t SizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

int64_t Count(Database& db) {
  auto st = Statement::Prepare(db, "SELECT count(*) FROM bulk");
  if (!st.ok() || !*st->Step()) return -1;
  return st->ColumnInt(0);
}

// One transaction of `rows` rows of 2 KB (about rows / 8 pages of 16 KB).
Status WriteBatch(Database& db, int rows) {
  Transaction tx(db);
  MXIR_RETURN_IF_ERROR(tx.Begin());
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "INSERT INTO bulk (v) VALUES (?1)"));
  const std::string blob(2048, 'x');
  for (int i = 0; i < rows; ++i) {
    st.Reset();
    st.BindBlob(1, blob.data(), blob.size());
    MXIR_RETURN_IF_ERROR(st.Run());
  }
  return tx.Commit();
}

// A bulk writer's WAL is copied back by the checkpointer's thread: its checkpoints run, the WAL
// stays bounded (it starts over once a checkpoint caught up, or the writer checkpoints itself
// past 4 x the start), another connection reads every committed row, and afterwards the
// connection's automatic checkpoint is back.
TEST(WalCheckpointer, CopiesTheWalOnItsOwnThreadAndKeepsItBounded) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->db().Exec("CREATE TABLE bulk (id INTEGER PRIMARY KEY, v BLOB)").ok());
  constexpr int64_t kStart = 32;  // frames
  int64_t max_wal = 0, checkpoints = 0;
  {
    WalCheckpointer ckpt(c->db(), path, kStart, 777);
    for (int b = 0; b < 200; ++b) {
      ASSERT_TRUE(WriteBatch(c->db(), 40).ok());
      ckpt.Committed();
      max_wal = std::max(max_wal, SizeOf(path + "-wal"));
      if (b % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    checkpoints = ckpt.checkpoints();
  }
  EXPECT_GT(checkpoints, 0);
  // Without checkpoints the WAL would reach about 200 x 6 frames of 16 KB; with them it stays
  // near 4 x kStart (more while a checkpoint of the thread keeps the writer's own one waiting).
  EXPECT_LT(max_wal, 12 * kStart * (16384 + 24) + 32);
  auto other = Database::Open(path);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Count(*other), 200 * 40);
  auto st = Statement::Prepare(c->db(), "PRAGMA wal_autocheckpoint");
  ASSERT_TRUE(st.ok() && *st->Step());
  EXPECT_EQ(st->ColumnInt(0), 777);
}

// kill -9 while the checkpointer copies: every committed transaction is in the case, which is
// intact and writable.
TEST(WalCheckpointer, KilledDuringCheckpointsLeavesEveryCommittedBatch) {
  std::string path = NewCasePath();
  {
    auto c = CaseDb::Open(path);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->db().Exec("CREATE TABLE bulk (id INTEGER PRIMARY KEY, v BLOB)").ok());
  }
  pid_t child = fork();
  if (child == 0) {
    auto c = CaseDb::Open(path);
    if (!c.ok()) _exit(10);
    WalCheckpointer ckpt(c->db(), path, 16, 1000);
    for (int b = 0; b < 100000; ++b) {  // bounded; the parent kills it long before
      if (!WriteBatch(c->db(), 50).ok()) _exit(11);
      ckpt.Committed();
    }
    _exit(0);
  }
  int64_t seen = 0;
  for (int i = 0; i < 200 && seen < 5000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto db = Database::Open(path);
    if (db.ok()) seen = std::max<int64_t>(seen, Count(*db));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(seen, 5000);
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto check = Statement::Prepare(c->db(), "PRAGMA integrity_check");
  ASSERT_TRUE(check.ok() && *check->Step());
  EXPECT_EQ(check->ColumnText(0), "ok");
  const int64_t n = Count(c->db());
  EXPECT_GE(n, seen);
  EXPECT_EQ(n % 50, 0);  // whole transactions only
  EXPECT_TRUE(WriteBatch(c->db(), 50).ok());
  EXPECT_EQ(Count(c->db()), n + 50);
}

}  // namespace
}  // namespace mxir::casedb
