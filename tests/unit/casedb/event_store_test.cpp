#include "casedb/event_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "casedb/background_writer.h"
#include "casedb/case_db.h"
#include "casedb/event_reader.h"
#include "casedb/schema.h"
#include "casedb/string_table.h"
#include "core/event_json.h"

namespace mxir::casedb {
namespace {

std::string NewCasePath() {
  std::string path = testing::MakeTempDir("mxir-events-test") + "/e.case";
  NewCase n;
  n.title = "events";
  EXPECT_TRUE(CaseDb::Create(path, n).ok());
  return path;
}

// An event from line `line` of a log whose content is called `content` (same content: same
// line bytes, whatever the file is called).
Event MakeEvent(int64_t line, const std::string& file, const std::string& content) {
  Event e;
  e.ts = Timestamp::FromSeconds(1700000000 + line);
  e.source = "postfix";
  e.origin.file = file;
  e.origin.line = line;
  e.origin.record = RecordHash(content + " line " + std::to_string(line));
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
    // Same content read again under another path: identity is the line's content.
    EventWriter w(*c, 100);
    for (int i = 1; i <= 1000; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "/var/log/maillog", "aa")).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), 0);
    EXPECT_EQ(w.duplicates(), 1000);
  }
  {
    // Other lines are other events.
    EventWriter w(*c, 100);
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "maillog.1", "bb")).ok());
  }  // the destructor commits
  EXPECT_EQ(*CountEvents(*c), 1010);
}

TEST(EventStore, WithoutRecordIdentityIsTheWholeEvent) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  EventWriter w(*c);
  Event a = MakeEvent(1, "-", "");
  a.origin.record = 0;
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

namespace mxir::casedb {
namespace {

TEST(EventStore, IdentityIsContentRepeatAndIndex) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  Event a = MakeEvent(7, "mail.log", "x");
  Event moved = a;  // the same line further down a grown or rotated file
  moved.origin.file = "mail.log.1";
  moved.origin.line = 70000;
  Event twin = a;  // an identical line again in the same input
  twin.origin.repeat = 1;
  Event second = a;  // the line's second event
  second.origin.index = 1;
  EventWriter w(*c);
  for (const Event* e : {&a, &moved, &twin, &second}) ASSERT_TRUE(w.Add(*e).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.inserted(), 3);
  EXPECT_EQ(w.duplicates(), 1);
}

TEST(EventStore, CapturedEventsAreTheSameInOverlappingFiles) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  Event e;
  e.kind = EventKind::kAuth;
  e.source = "pcap";
  e.ts = Timestamp::FromMicros(1700000000123456);
  e.client_ip = IpAddress::V4(0xC0000201);
  e.client_port = 40001;
  e.server_ip = IpAddress::V4(0xC0000202);
  e.server_port = 587;
  e.origin.file = "a.pcap";
  e.origin.packet = 12;
  Event other_file = e;
  other_file.origin.file = "b.pcap";
  other_file.origin.packet = 3;
  Event other_port = e;
  other_port.client_port = 40002;
  EventWriter w(*c);
  for (const Event* x : {&e, &other_file, &other_port}) ASSERT_TRUE(w.Add(*x).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.inserted(), 2);
}

// Review L1: a client pipelining thousands of RCPTs in one segment gives thousands of events
// from one packet; each is its own event (the index is part of the identity, not cut to 12 bits),
// and reading the same packet again adds none of them twice.
TEST(EventStore, ThousandsOfEventsFromOnePacketAreAllKept) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  constexpr int kRcpts = 4300;
  for (int round = 0; round < 2; ++round) {
    EventWriter w(*c);
    for (int i = 0; i < kRcpts; ++i) {
      Event e;
      e.kind = EventKind::kRcpt;
      e.source = "pcap";
      e.ts = Timestamp::FromMicros(1700000000123456);
      e.client_ip = IpAddress::V4(0xC0000201);
      e.client_port = 40001;
      e.server_ip = IpAddress::V4(0xC0000202);
      e.server_port = 25;
      e.origin.file = round == 0 ? "pipelined.pcap" : "copy.pcap";
      e.origin.packet = 7;
      e.origin.index = i;
      ASSERT_TRUE(w.Add(e).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), round == 0 ? kRcpts : 0);
    EXPECT_EQ(w.duplicates(), round == 0 ? 0 : kRcpts);
  }
  auto n = CountEvents(*c);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kRcpts);
}

// Every Event field goes through the case and comes back: the columns and the compact rest
// (which is made by the Event JSON writer, so a new field needs no change in casedb). When you
// add a field to Event, set it here too.
TEST(EventStore, RoundTripsEveryEventField) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  std::vector<Event> events;
  for (int kind = 0; kind < EventKindCount(); ++kind) {
    Event e;
    e.ts = Timestamp::FromMicros(1700000000000001 + kind);
    e.source = "postfix";
    e.origin.file = "/var/log/mail.log";
    e.origin.line = 42 + kind;
    e.origin.index = 2;
    e.origin.record = RecordHash("line " + std::to_string(kind));
    e.protocol = "submission";
    e.session = "sess-1";
    e.client_ip = IpAddress::Parse("2001:db8::7");
    e.client_port = 51234;
    e.server_ip = IpAddress::Parse("192.0.2.25");
    e.server_port = 587;
    e.kind = static_cast<EventKind>(kind);
    e.duration_s = 1.25;
    e.bytes_c2s = 100;
    e.bytes_s2c = 2000;
    e.gaps = 1;
    e.state = "closed";
    e.direction = "c2s";
    e.bytes = 77;
    e.helo = "client.example";
    e.esmtp = true;
    e.how = "starttls";
    e.sni = "mail.example";
    e.mechanism = "PLAIN";
    e.user = "bob@example.org";
    e.outcome = "failure";
    e.secret_fp = "0123456789abcdef";
    e.code = 535;
    e.mail_from = "a@example.org";
    e.rcpt_to = "b@example.net";
    e.accepted = false;
    e.recipients = {"b@example.net", "c@example.net"};
    e.size = 12345;
    e.header_from = "\"A, Person\" <a@example.org>";
    e.to = {"b@example.net"};
    e.cc = {"d@example.net", "e@example.net"};
    e.subject = "Quoted \"subject\", with commas, \\ and Ünïcode";
    e.msg_id = "<id@example.org>";
    e.user_agent = "Mailer 1.0";
    e.date = "Mon, 1 Jan 2026 10:00:00 +0000";
    e.received = {"from a by b", "from c by d"};
    e.enhanced = "5.7.8";
    e.text = "Error: authentication failed: {\"x\": [1, 2]}";
    e.command = "AUTH";
    e.relay = "mx.example.net[203.0.113.9]:25";
    e.status = "bounced";
    e.reason = "Password mismatch";
    e.queue_id = "4F2A1B";
    e.reply_to = "r@example.org";
    e.in_reply_to = "<p@example.org>";
    e.x_originating_ip = "198.51.100.4";
    e.server_name = "mx1";
    e.actor = "admin@example.org";
    e.operation = "New-InboxRule";
    e.parameters = {{"ForwardTo", "x@evil.example"}, {"DeleteMessage", "True"}, {"Name", ","}};
    e.client_app = "Authenticated SMTP";
    e.error_code = "50126";
    e.country = "NL";
    e.asn = 64500;
    events.push_back(e);
  }
  Event bare;  // nothing but the required fields
  bare.ts = Timestamp::FromSeconds(1600000000);
  bare.kind = EventKind::kGap;
  events.push_back(bare);
  {
    EventWriter w(*c);
    for (const Event& e : events) ASSERT_TRUE(w.Add(e).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), static_cast<int64_t>(events.size()));
  }
  std::vector<std::string> back;
  ASSERT_TRUE(ForEachEvent(*c, {}, [&](const Event& e) {
                back.push_back(EventToJson(e));
                return true;
              }).ok());
  ASSERT_EQ(back.size(), events.size());
  EXPECT_EQ(back[0], EventToJson(events.back()));  // time order: the bare event is oldest
  for (size_t i = 0; i + 1 < events.size(); ++i) EXPECT_EQ(back[i + 1], EventToJson(events[i]));
}

TEST(EventStore, CursorReadsOnlyWhatWasAdded) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  {
    EventWriter w(*c);
    for (int i = 1; i <= 100; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "f", "a")).ok());
  }
  int64_t cursor = *LastEventId(*c);
  {
    EventWriter w(*c);
    for (int i = 1; i <= 120; ++i) ASSERT_TRUE(w.Add(MakeEvent(i, "f", "a")).ok());
  }
  EventFilter f;
  f.after_id = cursor;
  std::vector<int64_t> lines;
  int64_t last = cursor;
  ASSERT_TRUE(ForEachEvent(
                  *c, f,
                  [&](const Event& e) {
                    lines.push_back(e.origin.line);
                    return true;
                  },
                  nullptr, &last)
                  .ok());
  ASSERT_EQ(lines.size(), 20u);
  EXPECT_EQ(lines.front(), 101);
  EXPECT_EQ(last, *LastEventId(*c));
}

// The writer's string cache: a value another writer stored after this one's last Sync gets the
// id already stored (never a second row, never a wrong id), whether this cache holds the whole
// table or not.
// A string of the rest is interned the third time it is met: a reply text that never repeats, or
// repeats once (a delivery's reply naming the remote queue id, met once per recipient of a
// message of two), stays inline in its rows (no row of `strings`); one that repeats more is
// stored once. Every event reads back with its own text, also in a later writer that meets an
// interned value again.
TEST(StringInterner, RestValuesAreInternedOnTheirThirdSight) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  auto make = [](int64_t i) {
    Event e = MakeEvent(i, "texts", "texts");
    e.kind = EventKind::kReply;
    switch (i % 3) {
      case 0:
        e.text = "221 2.0.0 Bye";  // met hundreds of times
        break;
      case 1:
        e.text = "250 2.0.0 Ok: queued as Q" + std::to_string(i);  // met once
        break;
      default:
        e.text = "250 2.0.0 OK pair " + std::to_string(i / 6);  // met twice (i = 6k+2, 6k+5)
        break;
    }
    e.helo = "mx" + std::to_string(i % 5) + ".example.org";
    return e;
  };
  auto count = [&](const std::string& where) {
    auto st = Statement::Prepare(c->db(), "SELECT count(*) FROM strings WHERE " + where);
    EXPECT_TRUE(st.ok() && *st->Step());
    return st->ColumnInt(0);
  };
  for (int round = 0; round < 2; ++round) {
    EventWriter w(*c, 300);
    for (int64_t i = round * 1000 + 1; i <= round * 1000 + 1000; ++i) {
      ASSERT_TRUE(w.Add(make(i)).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(count("value LIKE '250 2.0.0 Ok: queued as %'"), 0);
    EXPECT_EQ(count("value LIKE '250 2.0.0 OK pair %'"), 0);
    EXPECT_EQ(count("value = '221 2.0.0 Bye'"), 1);
    EXPECT_EQ(count("value LIKE 'mx_.example.org'"), 5);
  }
  int64_t seen = 0;
  ASSERT_TRUE(ForEachEvent(*c, {}, [&](const Event& e) {
                EXPECT_EQ(EventToJson(e), EventToJson(make(e.origin.line)));
                ++seen;
                return true;
              }).ok());
  EXPECT_EQ(seen, 2000);
}

TEST(StringInterner, ValueStoredByAnotherWriterGetsItsId) {
  for (bool big : {false, true}) {
    std::string path = NewCasePath();
    auto a = CaseDb::Open(path);
    auto b = CaseDb::Open(path);
    ASSERT_TRUE(a.ok() && b.ok());
    if (big) {  // more strings than a writer loads at its first Sync
      ASSERT_TRUE(
          a->db()
              .Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 70000) INSERT INTO strings (value) SELECT 'pre-' || i FROM n")
              .ok());
    }
    StringInterner x(a->db()), y(b->db());
    ASSERT_TRUE(x.Sync().ok());  // outside a write transaction: ids are not handed out ahead
    auto own = x.Id("only-x");
    ASSERT_TRUE(own.ok());
    auto by_y = y.Id("shared");  // stored by y after x's Sync
    ASSERT_TRUE(by_y.ok());
    auto by_x = x.Id("shared");
    ASSERT_TRUE(by_x.ok()) << by_x.error().message;
    EXPECT_EQ(*by_x, *by_y);
    EXPECT_EQ(*x.Id("only-x"), *own);
    EXPECT_EQ(*y.Id("only-x"), *own);
    if (big) {
      EXPECT_EQ(*x.Id("pre-69999"), *y.Id("pre-69999"));
    }
    // Under the write lock, new values get their ids at once and are written by Flush().
    ASSERT_TRUE(BeginImmediate(a->db()).ok());
    ASSERT_TRUE(x.Sync().ok());
    auto batch = x.Id("batched");
    ASSERT_TRUE(batch.ok());
    EXPECT_EQ(*x.Id("shared"), *by_y);
    ASSERT_TRUE(x.Flush().ok());
    ASSERT_TRUE(a->db().Exec("COMMIT").ok());
    EXPECT_EQ(*y.Id("batched"), *batch);
    auto count = Statement::Prepare(a->db(),
                                    "SELECT count(*) FROM strings WHERE value IN "
                                    "('shared', 'only-x', 'batched')");
    ASSERT_TRUE(count.ok() && *count->Step());
    EXPECT_EQ(count->ColumnInt(0), 3);
  }
}

// Two writers taking turns, each adding thousands of new strings (so a cache that started
// partial loads the whole table) and using the other's: every event reads back with its own
// account and session.
TEST(StringInterner, WritersTakingTurnsReadBackTheirStrings) {
  std::string path = NewCasePath();
  auto a = CaseDb::Open(path);
  auto b = CaseDb::Open(path);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->db()
                  .Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                        "i < 70000) INSERT INTO strings (value) SELECT 'pre-' || i FROM n")
                  .ok());
  auto event = [](int line, const std::string& who) {
    Event e = MakeEvent(line, who, who);
    e.user = "u" + std::to_string(line % 5000) + "@x";   // shared by both writers
    e.session = who + "-" + std::to_string(line);        // new for each event
    e.helo = "pre-" + std::to_string(line % 70000 + 1);  // stored before either writer
    return e;
  };
  {
    EventWriter wa(*a, 1000), wb(*b, 1000);
    for (int round = 0; round < 6; ++round) {
      for (int i = 1; i <= 1500; ++i) {
        int line = round * 1500 + i;
        ASSERT_TRUE(wa.Add(event(line, "wa")).ok());
      }
      ASSERT_TRUE(wa.Finish().ok());  // hands the write lock over
      for (int i = 1; i <= 1500; ++i) {
        int line = round * 1500 + i;
        ASSERT_TRUE(wb.Add(event(line, "wb")).ok());
      }
      ASSERT_TRUE(wb.Finish().ok());
    }
    EXPECT_EQ(wa.inserted(), 9000);
    EXPECT_EQ(wb.inserted(), 9000);
  }
  int64_t seen = 0;
  ASSERT_TRUE(ForEachEvent(*a, {}, [&](const Event& e) {
                std::string who = e.origin.file.str();
                int line = static_cast<int>(e.origin.line);
                EXPECT_EQ(e.session.str(), who + "-" + std::to_string(line));
                EXPECT_EQ(e.user, "u" + std::to_string(line % 5000) + "@x");
                EXPECT_EQ(e.helo, "pre-" + std::to_string(line % 70000 + 1));
                ++seen;
                return true;
              }).ok());
  EXPECT_EQ(seen, 18000);
  auto dups = Statement::Prepare(a->db(), "SELECT count(*) - count(DISTINCT value) FROM strings");
  ASSERT_TRUE(dups.ok() && *dups->Step());
  EXPECT_EQ(dups->ColumnInt(0), 0);
}

// The writer on its own thread stores what the one in the caller's thread stores: every event,
// duplicates counted, readable once Finish() returned; and a failing store (a full disk: here a
// page limit) comes back from Finish() with the batches committed before it kept.
TEST(BackgroundEventWriter, StoresEverythingAndReportsTheFirstError) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  {
    BackgroundEventWriter w(*c, 700);
    for (int i = 1; i <= 5000; ++i) w.Add(MakeEvent(i, "bg", "bg"));
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), 5000);
    EXPECT_EQ(*CountEvents(*c), 5000);  // the connection is the caller's again
    for (int i = 4001; i <= 6000; ++i) w.Add(MakeEvent(i, "bg", "bg"));
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), 6000);
    EXPECT_EQ(w.duplicates(), 1000);
    for (int i = 6001; i <= 6100; ++i) w.Add(MakeEvent(i, "bg", "bg"));
  }  // the destructor stores and commits the rest
  EXPECT_EQ(*CountEvents(*c), 6100);
  int64_t seen = 0;
  ASSERT_TRUE(ForEachEvent(*c, {}, [&](const Event& e) {
                EXPECT_EQ(e.user, "user" + std::to_string(e.origin.line % 17));
                ++seen;
                return true;
              }).ok());
  EXPECT_EQ(seen, 6100);

  auto pages = Statement::Prepare(c->db(), "PRAGMA page_count");
  ASSERT_TRUE(pages.ok() && *pages->Step());
  ASSERT_TRUE(
      c->db().Exec("PRAGMA max_page_count = " + std::to_string(pages->ColumnInt(0) + 2)).ok());
  {
    BackgroundEventWriter w(*c, 500);
    for (int i = 10000; i < 60000; ++i) {
      Event e = MakeEvent(i, "full", "full");
      e.text = std::string(300, 'a' + i % 26) + std::to_string(i);
      w.Add(std::move(e));
    }
    Status s = w.Finish();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("full"), std::string::npos) << s.error().message;
    EXPECT_FALSE(w.Finish().ok());  // refuses the rest
  }
  EXPECT_GE(*CountEvents(*c), 6100);
}

}  // namespace
}  // namespace mxir::casedb

namespace mxir::casedb {
namespace {

// RecordLocality: the line's own day of the month and time of day, from its bytes only (never the
// year or the zone a reader infers), or 0 without a clock.
TEST(RecordLocality, DayAndTimeOfDayFromTheRecordsOwnStamp) {
  constexpr int kDay = 86400;
  EXPECT_EQ(RecordLocality("Jan  1 00:00:00 mx1 postfix/smtpd[97311]: connect"), 1 + kDay);
  EXPECT_EQ(RecordLocality("Dec 31 23:59:59 mx1 x"), 1 + 31 * kDay + 86399);
  EXPECT_EQ(RecordLocality("<22>Dec  7 06:39:04 mx1 x"), 1 + 7 * kDay + 6 * 3600 + 39 * 60 + 4);
  EXPECT_EQ(RecordLocality("2026-12-07T06:39:04.123+01:00 host dovecot: x"),
            1 + 7 * kDay + 6 * 3600 + 39 * 60 + 4);
  EXPECT_EQ(RecordLocality("<34>1 2026-12-07T06:39:04Z host x"),
            1 + 7 * kDay + 6 * 3600 + 39 * 60 + 4);
  EXPECT_EQ(RecordLocality("2026-12-17 06:39:04,123 exchange x"),
            1 + 17 * kDay + 6 * 3600 + 39 * 60 + 4);
  // Apache's "2000:13:55:36": the digits after the year, not "00:13"; no day just before.
  EXPECT_EQ(RecordLocality("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /\""),
            1 + 13 * 3600 + 55 * 60 + 36);
  EXPECT_EQ(RecordLocality("12:30 no seconds"), 1 + 12 * 3600 + 30 * 60);
  // Not a day of the month: three digits, or more than 31.
  EXPECT_EQ(RecordLocality("id 123 10:00:00"), 1 + 10 * 3600);
  EXPECT_EQ(RecordLocality("at 45 10:00:00"), 1 + 10 * 3600);
  EXPECT_EQ(RecordLocality("1767232134.18409 an epoch stamp, no clock"), 0);
  EXPECT_EQ(RecordLocality(""), 0);
  EXPECT_EQ(RecordLocality(std::string(70, 'x') + " 10:00:00 too far in"), 0);
  // Every day of every month, every hour: distinct and increasing in (day, time).
  int last = 0;
  for (int day = 1; day <= 31; ++day) {
    for (int hour = 0; hour < 24; ++hour) {
      char line[64];
      std::snprintf(line, sizeof line, "Mar %2d %02d:17:05 mx x", day, hour);
      int loc = RecordLocality(line);
      EXPECT_GT(loc, last) << line;
      last = loc;
    }
  }
}

// Seeded events of the three kinds of identity: log lines (record, repeat, index; locality from
// the line), packets, and events known by their content alone.
std::vector<Event> MixedEvents(uint32_t seed, int n) {
  std::vector<Event> out;
  uint32_t x = seed;
  auto next = [&x] {
    x = x * 1664525u + 1013904223u;
    return x >> 8;
  };
  for (int i = 0; i < n; ++i) {
    Event e;
    int64_t second = 1700000000 + i * 7 + static_cast<int64_t>(next() % 5);
    e.ts = Timestamp::FromSeconds(second);
    e.kind = EventKind::kAuth;
    e.user = "u" + std::to_string(next() % 50);
    e.client_ip = IpAddress::V4(0xC0000200 + next() % 200);
    switch (next() % 3) {
      case 0: {
        char line[96];
        std::snprintf(line, sizeof line, "Nov %2d %02d:%02d:%02d mx postfix/smtpd[%u]: event %d",
                      1 + static_cast<int>(second / 86400 % 28),
                      static_cast<int>(second / 3600 % 24), static_cast<int>(second / 60 % 60),
                      static_cast<int>(second % 60), next() % 99999, i);
        e.source = "postfix";
        e.origin.file = "mail.log";
        e.origin.line = i + 1;
        e.origin.record = RecordHash(line);
        e.origin.locality = RecordLocality(line);
        break;
      }
      case 1:
        e.source = "pcap";
        e.client_port = 40000 + static_cast<int>(next() % 20000);
        e.server_ip = IpAddress::V4(0xC0000201);
        e.server_port = 587;
        e.origin.file = "a.pcap";
        e.origin.packet = i + 1;
        break;
      default:
        e.source = "entra-signin";
        e.outcome = "failure";
        e.error_code = std::to_string(next());
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Reading `all` again into a migrated case that holds its first `old_n` stores only the rest (in
// batches of `batch`), and a read after that stores nothing.
void ExpectReReadAddsOnlyTheNew(CaseDb& c, const std::vector<Event>& all, size_t old_n,
                                size_t batch, uint32_t seed) {
  {
    EventWriter w(c, batch);
    for (const Event& e : all) ASSERT_TRUE(w.Add(e).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.inserted(), static_cast<int64_t>(all.size() - old_n)) << "seed " << seed;
    EXPECT_EQ(w.duplicates(), static_cast<int64_t>(old_n)) << "seed " << seed;
  }
  EventWriter w(c);
  for (const Event& e : all) ASSERT_TRUE(w.Add(e).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.inserted(), 0) << "seed " << seed;
}

// Schema 8 keys identity on (loc, key). A case of schema 7 (key alone, no loc) opens, migrates
// (its rows keep loc NULL, guarded by the trigger), and reading the same inputs again adds
// nothing; new events are added exactly once.
TEST(EventStore, CaseOfSchema7MigratesAndReReadAddsNothing) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::string path = NewCasePath();
    std::vector<Event> all = MixedEvents(seed, 3000);
    const size_t old_n = 1800;
    {
      auto c = CaseDb::Open(path);
      ASSERT_TRUE(c.ok());
      EventWriter w(*c, 500);
      for (size_t i = 0; i < old_n; ++i) ASSERT_TRUE(w.Add(all[i]).ok());
      ASSERT_TRUE(w.Finish().ok());
      ASSERT_EQ(w.inserted(), static_cast<int64_t>(old_n));
      // Back to the schema mxir wrote before step 8: the same rows, keyed by key alone.
      ASSERT_TRUE(c->db()
                      .Exec("DROP INDEX events_by_loc_key; ALTER TABLE events DROP COLUMN loc; "
                            "CREATE UNIQUE INDEX events_by_key ON events (key); "
                            "PRAGMA user_version = 7")
                      .ok());
    }
    auto c = CaseDb::Open(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(*ReadSchemaVersion(c->db()), CurrentSchemaVersion());
    {
      auto st = Statement::Prepare(c->db(), "SELECT count(*) FROM events WHERE loc IS NULL");
      ASSERT_TRUE(st.ok() && *st->Step());
      EXPECT_EQ(st->ColumnInt(0), static_cast<int64_t>(old_n));
    }
    ASSERT_NO_FATAL_FAILURE(ExpectReReadAddsOnlyTheNew(*c, all, old_n, 700, seed));
    EXPECT_EQ(*CountEvents(*c), static_cast<int64_t>(all.size()));
  }
}

// Schema 9 stores the session inline (a BLOB) instead of an id of `strings`. A case of schema 8
// (sessions interned) opens and migrates; its rows read back with their sessions, reading the
// same inputs again adds nothing, new rows keep sessions that look like numbers as text, and
// both kinds of row read back equal to what was added.
TEST(EventStore, CaseOfSchema8WithInternedSessionsMigratesAndReReadAddsNothing) {
  for (uint32_t seed : {4u, 5u}) {
    std::string path = NewCasePath();
    std::vector<Event> all = MixedEvents(seed, 2000);
    uint32_t x = seed * 7919u;
    for (size_t i = 0; i < all.size(); ++i) {
      x = x * 1664525u + 1013904223u;
      switch ((x >> 8) % 5) {
        case 0:
          break;  // no session
        case 1:
          all[i].session = SharedString(std::to_string(x >> 12));  // digits only
          break;
        case 2:
          all[i].session = SharedString("00" + std::to_string(i / 3));  // a leading zero
          break;
        case 3:
          all[i].session = SharedString("dovecot:" + std::to_string(i / 5));
          break;
        default:
          all[i].session = SharedString("4B3C1" + std::to_string(i % 97) + "F");
      }
    }
    const size_t old_n = 1200;
    {
      auto c = CaseDb::Open(path);
      ASSERT_TRUE(c.ok());
      EventWriter w(*c, 400);
      for (size_t i = 0; i < old_n; ++i) ASSERT_TRUE(w.Add(all[i]).ok());
      ASSERT_TRUE(w.Finish().ok());
      // Back to what mxir wrote at schema 8: each session an id of `strings`.
      ASSERT_TRUE(c->db()
                      .Exec("INSERT OR IGNORE INTO strings (value) SELECT DISTINCT CAST(session "
                            "AS TEXT) FROM events WHERE session IS NOT NULL; "
                            "UPDATE events SET session = (SELECT id FROM strings WHERE value = "
                            "CAST(events.session AS TEXT)) WHERE session IS NOT NULL; "
                            "PRAGMA user_version = 8")
                      .ok());
      auto st = Statement::Prepare(c->db(),
                                   "SELECT count(*) FROM events WHERE session IS NOT "
                                   "NULL AND typeof(session) != 'integer'");
      ASSERT_TRUE(st.ok() && *st->Step());
      ASSERT_EQ(st->ColumnInt(0), 0);
    }
    auto c = CaseDb::Open(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(*ReadSchemaVersion(c->db()), CurrentSchemaVersion());
    ASSERT_NO_FATAL_FAILURE(ExpectReReadAddsOnlyTheNew(*c, all, old_n, 300, seed));
    {
      // The new rows' sessions are BLOBs, the old rows' stay ids.
      auto st = Statement::Prepare(
          c->db(),
          "SELECT typeof(session), count(*) FROM events WHERE session IS NOT NULL "
          "GROUP BY 1 ORDER BY 1");
      ASSERT_TRUE(st.ok());
      std::map<std::string, int64_t> types;
      while (*st->Step()) types[st->ColumnText(0)] = st->ColumnInt(1);
      EXPECT_EQ(types.size(), 2u);
      EXPECT_GT(types["blob"], 0);
      EXPECT_GT(types["integer"], 0);
    }
    // Every event reads back as it was added, by id order (= the order added).
    std::vector<std::string> want, got;
    for (const Event& e : all) want.push_back(EventToJson(e));
    std::sort(want.begin(), want.end());
    ASSERT_TRUE(ForEachEvent(*c, {}, [&](const Event& e) {
                  got.push_back(EventToJson(e));
                  return true;
                }).ok());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "seed " << seed;
  }
}

// Schema 10 adds the day of the month to a log line's loc. A case of schema 9 (its log rows' loc
// without the day) opens and migrates, reading the same inputs again adds nothing, and new events
// are added exactly once.
TEST(EventStore, CaseOfSchema9WithDayLessLocalityMigratesAndReReadAddsNothing) {
  for (uint32_t seed : {6u, 7u, 8u}) {
    std::string path = NewCasePath();
    std::vector<Event> all = MixedEvents(seed, 3000);
    size_t old_n = 1900;
    int64_t with_day = 0;
    {
      auto c = CaseDb::Open(path);
      ASSERT_TRUE(c.ok());
      EventWriter w(*c, 600);
      for (size_t i = 0; i < old_n; ++i) {
        Event e = all[i];
        if (e.origin.record != 0 && e.origin.locality > 86400) {
          e.origin.locality = (e.origin.locality - 1) % 86400 + 1;  // as mxir wrote it before
          ++with_day;
        }
        ASSERT_TRUE(w.Add(std::move(e)).ok());
      }
      ASSERT_TRUE(w.Finish().ok());
      ASSERT_EQ(w.inserted(), static_cast<int64_t>(old_n));
      ASSERT_TRUE(c->db().Exec("PRAGMA user_version = 9").ok());
    }
    ASSERT_GT(with_day, 100) << "the generator gives log lines with a day";
    auto c = CaseDb::Open(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(*ReadSchemaVersion(c->db()), CurrentSchemaVersion());
    ASSERT_NO_FATAL_FAILURE(ExpectReReadAddsOnlyTheNew(*c, all, old_n, 800, seed));
    EXPECT_EQ(*CountEvents(*c), static_cast<int64_t>(all.size()));
  }
}

// A case created at the current schema has no trigger on its events: an insert pays only for the
// table and its indexes.
TEST(EventStore, NewCaseHasNoIdentityTrigger) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  {
    EventWriter w(*c);
    for (const Event& e : MixedEvents(9, 500)) ASSERT_TRUE(w.Add(e).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  auto st =
      Statement::Prepare(c->db(), "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'");
  ASSERT_TRUE(st.ok() && *st->Step());
  EXPECT_EQ(st->ColumnInt(0), 0);
}

// Identity does not depend on the ts a reader inferred for a year-less line (another "now", --year
// or --tz): the same bytes give the same (loc, key).
TEST(EventStore, SameLineWithAnotherInferredTimeAddsNothing) {
  std::string path = NewCasePath();
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  std::vector<Event> events = MixedEvents(9, 600);
  EventWriter w(*c);
  int64_t lines = 0;
  for (const Event& e : events) ASSERT_TRUE(w.Add(e).ok());
  for (Event e : events) {
    if (e.origin.record == 0) continue;
    ++lines;
    e.ts = Timestamp::FromMicros(e.ts.micros() - int64_t{365} * 86400 * 1000000 + 3600000000);
    ASSERT_TRUE(w.Add(e).ok());
  }
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_GT(lines, 100);
  EXPECT_EQ(w.inserted(), static_cast<int64_t>(events.size()));
  EXPECT_EQ(w.duplicates(), lines);
}

}  // namespace
}  // namespace mxir::casedb
