#include "logs/journal_line.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(JournalLineTest, ExportedLinesReachTheParsers) {
  auto r = IngestLines({
      R"({"__REALTIME_TIMESTAMP":"1795425243000001","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/submission/smtpd","SYSLOG_PID":"4121","MESSAGE":"warning: unknown[203.0.113.50]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=bob@example.org","PRIORITY":"4"})",
      R"({"__REALTIME_TIMESTAMP":"1795425244000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"dovecot","_PID":"77","MESSAGE":"imap-login: Login: user=<carol@example.org>, method=PLAIN, rip=198.51.100.20, lip=192.0.2.1, TLS, session=<k\"P>"})",
  });
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].source, "postfix");
  EXPECT_EQ(r.events[0].protocol, "submission");
  EXPECT_EQ(r.events[0].outcome, "failure");
  EXPECT_EQ(r.events[0].user, "bob@example.org");
  EXPECT_EQ(r.events[0].ts, Timestamp::FromMicros(1795425243000001));
  EXPECT_EQ(r.events[0].server_name, "mx");
  EXPECT_EQ(r.events[1].source, "dovecot");
  EXPECT_EQ(r.events[1].outcome, "success");
  EXPECT_EQ(Ip(r.events[1]), "198.51.100.20");
  EXPECT_EQ(r.events[1].session, "dovecot:k\"P");  // JSON escapes decoded
}

TEST(JournalLineTest, NotJournalOrBroken) {
  LogRecord rec;
  std::string storage;
  EXPECT_FALSE(ParseJournalLine("{not json", &rec, &storage));
  EXPECT_FALSE(ParseJournalLine(R"({"MESSAGE":[1,2,3]})", &rec, &storage));
  EXPECT_FALSE(ParseJournalLine("Nov 23 10:00:00 mx x: y", &rec, &storage));
  auto r = IngestLines({R"({"MESSAGE":"no time here","SYSLOG_IDENTIFIER":"postfix/smtpd"})"});
  EXPECT_TRUE(r.events.empty());
}

}  // namespace
}  // namespace mxir::logs
