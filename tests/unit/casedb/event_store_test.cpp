#include "casedb/event_store.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "casedb/case_db.h"

namespace mxir::casedb {
namespace {

std::string NewCasePath() {
  std::string path = testing::MakeTempDir("mxir-events-test") + "/e.case";
  NewCase n;
  n.title = "events";
  EXPECT_TRUE(CaseDb::Create(path, n).ok());
  return path;
}

Event MakeEvent(int64_t line, const std::string& file, const std::string& sha) {
  Event e;
  e.ts = Timestamp::FromSeconds(1700000000 + line);
  e.source = "postfix";
  e.origin.file = file;
  e.origin.sha256 = sha;
  e.origin.line = line;
  e.kind = EventKind::kAuth;
  e.user = "user" + std::to_string(line % 17);
  e.outcome = line % 3 ? "failure" : "success";
  e.client_ip = IpAddress::V4(0xC0000200 + static_cast<uint32_t>(line % 200));
  e.session = "s" + std::to_string(line / 4);
  return e;
}

TEST(EventStore, SameFileTwiceAddsNothingTwice) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  {
    EventWriter w(*c, 100);
    for (int i = 1; i <= 1000; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "maillog", "aa")).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), 1000);
  }
  {
    // Same content read again under another path: identity is the file hash + line.
    EventWriter w(*c, 100);
    for (int i = 1; i <= 1000; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "/var/log/maillog", "aa")).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), 0);
    EXPECT_EQ(w.duplicates(), 1000);
  }
  {
    // Another file with the same lines is new provenance.
    EventWriter w(*c, 100);
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "maillog.1", "bb")).ok());
  }  // the destructor commits
  EXPECT_EQ(*CountEvents(*c), 1010);
}

TEST(EventStore, WithoutFileHashIdentityIsTheWholeEvent) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  EventWriter w(*c);
  Event a = MakeEvent(1, "-", "");
  ASSERT_TRUE(w.Add(a).ok());
  ASSERT_TRUE(w.Add(a).ok());
  a.outcome = "aborted";
  ASSERT_TRUE(w.Add(a).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.inserted(), 2);
}

TEST(EventStore, ReadsBackInTimeOrderWithFilter) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  {
    EventWriter w(*c);
    for (int i = 50; i >= 1; --i) ASSERT_TRUE(w.Add(MakeEvent(i, "f", "cc")).ok());
  }
  EventFilter filter;
  filter.since = Timestamp::FromSeconds(1700000010);
  filter.until = Timestamp::FromSeconds(1700000020);
  std::vector<int64_t> lines;
  ASSERT_TRUE(ForEachEvent(*c, filter, [&](const Event& e) {
                lines.push_back(e.origin.line);
                return true;
              }).ok());
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines.front(), 10);
  EXPECT_EQ(lines.back(), 19);
}

TEST(EventStore, HostedMailFieldsAndMailboxChangesSurviveTheCase) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  Event login = MakeEvent(1, "signins.json", "dd");
  login.source = "entra-signin";
  login.client_app = "Authenticated SMTP";
  login.user_agent = "BAV2ROPC";
  login.error_code = "50126";
  login.country = "DE";
  login.asn = 3320;
  Event rule = MakeEvent(2, "ual.csv", "ee");
  rule.kind = EventKind::kMailboxChange;
  rule.source = "m365-audit";
  rule.actor = "mallory@contoso.example";
  rule.operation = "New-InboxRule";
  rule.parameters = {{"Name", "."}, {"ForwardTo", "x@evil.example"}, {"DeleteMessage", "True"}};
  rule.outcome = "success";
  {
    EventWriter w(*c);
    ASSERT_TRUE(w.Add(login).ok());
    ASSERT_TRUE(w.Add(rule).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), 2);
  }
  std::vector<Event> back;
  ASSERT_TRUE(ForEachEvent(*c, {}, [&](const Event& e) {
                back.push_back(e);
                return true;
              }).ok());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].client_app, "Authenticated SMTP");
  EXPECT_EQ(back[0].error_code, "50126");
  EXPECT_EQ(back[0].country, "DE");
  ASSERT_TRUE(back[0].asn.has_value());
  EXPECT_EQ(*back[0].asn, 3320);
  EXPECT_EQ(back[1].kind, EventKind::kMailboxChange);
  EXPECT_EQ(back[1].actor, "mallory@contoso.example");
  EXPECT_EQ(back[1].operation, "New-InboxRule");
  EXPECT_EQ(back[1].parameters, rule.parameters);
  EXPECT_EQ(back[1].outcome, "success");
}

// Runs `fn` in a child process; returns its pid.
template <typename Fn>
pid_t Spawn(Fn fn) {
  pid_t pid = fork();
  if (pid == 0) {
    int rc = fn();
    _exit(rc);
  }
  return pid;
}

int ExitCodeOf(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(EventStore, TwoWritersAtOnceBothSucceed) {
  std::string path = NewCasePath();
  auto writer = [&](const std::string& sha) {
    return [path, sha] {
      auto c = CaseDb::Open(path);
      if (!c.ok()) return 10;
      EventWriter w(*c, 50);  // small batches: many lock hand-overs
      for (int i = 1; i <= 3000; ++i) {
        if (!w.Add(MakeEvent(i, sha, sha)).ok()) return 11;
      }
      return w.Finish().ok() ? 0 : 12;
    };
  };
  pid_t a = Spawn(writer("aa"));
  pid_t b = Spawn(writer("bb"));
  EXPECT_EQ(ExitCodeOf(a), 0);
  EXPECT_EQ(ExitCodeOf(b), 0);
  auto c = CaseDb::Open(path);
  EXPECT_EQ(*CountEvents(*c), 6000);
}

TEST(EventStore, KilledWriterLeavesEveryCommittedBatch) {
  std::string path = NewCasePath();
  pid_t child = Spawn([path] {
    auto c = CaseDb::Open(path);
    if (!c.ok()) return 10;
    EventWriter w(*c, 100);
    for (int i = 1; i <= 5000000; ++i) {  // bounded; the parent kills it long before
      if (!w.Add(MakeEvent(i, "big", "dd")).ok()) return 11;
      if (i % 100 == 0) usleep(200);
    }
    return 0;
  });
  // Wait (bounded) until some batches are committed, then kill -9 mid-write.
  int64_t seen = 0;
  for (int i = 0; i < 200 && seen < 1000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto c = CaseDb::Open(path);
    if (c.ok()) {
      auto n = CountEvents(*c);
      if (n.ok()) seen = *n;
    }
  }
  kill(child, SIGKILL);
  EXPECT_EQ(ExitCodeOf(child), 100 + SIGKILL);
  ASSERT_GE(seen, 1000);
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto check = Statement::Prepare(c->db(), "PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(*check->Step());
  EXPECT_EQ(check->ColumnText(0), "ok");
  int64_t n = *CountEvents(*c);
  EXPECT_GE(n, seen);
  EXPECT_EQ(n % 100, 0);  // whole batches only
  // The case is still writable.
  EventWriter w(*c);
  EXPECT_TRUE(w.Add(MakeEvent(1, "after", "ee")).ok());
  EXPECT_TRUE(w.Finish().ok());
}

}  // namespace
}  // namespace mxir::casedb
