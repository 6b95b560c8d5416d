#include "logs/postfix_parser.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(PostfixParserTest, SessionAndMessageAreJoined) {
  auto r = IngestLines({
      "Nov 23 10:00:00 mx postfix/submission/smtpd[100]: connect from unknown[192.0.2.7]",
      "Nov 23 10:00:01 mx postfix/submission/smtpd[100]: warning: unknown[192.0.2.7]: SASL "
      "LOGIN authentication failed: (reason unavailable), sasl_username=bob@example.test",
      "Nov 23 10:00:02 mx postfix/submission/smtpd[100]: 4ABC123DEF: client=unknown[192.0.2.7], "
      "sasl_method=PLAIN, sasl_username=bob@example.test",
      "Nov 23 10:00:02 mx postfix/cleanup[101]: 4ABC123DEF: message-id=<m1@example.test>",
      "Nov 23 10:00:02 mx postfix/qmgr[102]: 4ABC123DEF: from=<bob@example.test>, size=1234, "
      "nrcpt=2 (queue active)",
      "Nov 23 10:00:03 mx postfix/smtp[103]: 4ABC123DEF: to=<a@remote.test>, "
      "relay=mx.remote.test[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, "
      "status=bounced (host mx.remote.test[198.51.100.1] said: 554 5.7.1 Service unavailable; "
      "Client host [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO command))",
      "Nov 23 10:00:03 mx postfix/smtp[103]: 4ABC123DEF: to=<b@remote.test>, "
      "relay=mx.remote.test[198.51.100.1]:25, delay=1, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
      "Nov 23 10:00:03 mx postfix/qmgr[102]: 4ABC123DEF: removed",
      "Nov 23 10:00:04 mx postfix/submission/smtpd[100]: disconnect from unknown[192.0.2.7] "
      "ehlo=1 auth=1/2 mail=1 rcpt=2 data=1 quit=1 commands=7/8",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 2u);
  EXPECT_EQ(auths[0].outcome, "failure");
  EXPECT_EQ(auths[0].user, "bob@example.test");
  EXPECT_EQ(auths[0].mechanism, "LOGIN");
  EXPECT_EQ(auths[0].protocol, "submission");
  EXPECT_EQ(auths[1].outcome, "success");
  EXPECT_EQ(auths[1].mechanism, "PLAIN");
  auto deliveries = r.Of(EventKind::kDelivery);
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].status, "bounced");
  EXPECT_EQ(deliveries[0].code, 554);
  EXPECT_EQ(deliveries[0].enhanced, "5.7.1");
  EXPECT_NE(deliveries[0].text.find("blocked using zen.spamhaus.org"), std::string::npos);
  EXPECT_EQ(deliveries[1].status, "sent");
  auto messages = r.Of(EventKind::kMessage);
  ASSERT_EQ(messages.size(), 1u);
  const Event& m = messages[0];
  EXPECT_EQ(Ip(m), "192.0.2.7");
  EXPECT_EQ(m.user, "bob@example.test");
  EXPECT_EQ(m.mail_from, "bob@example.test");
  EXPECT_EQ(m.size, 1234);
  EXPECT_EQ(m.msg_id, "m1@example.test");
  EXPECT_EQ(m.recipients, (std::vector<std::string>{"a@remote.test", "b@remote.test"}));
  // One session for all of it.
  for (const auto& e : r.events) EXPECT_EQ(e.session, r.events[0].session) << e.session;
  auto ends = r.Of(EventKind::kSessionEnd);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].text, "ehlo=1 auth=1/2 mail=1 rcpt=2 data=1 quit=1 commands=7/8");
  // Origins: file, hash, line.
  EXPECT_EQ(auths[0].origin.line, 2);
  EXPECT_EQ(auths[0].origin.sha256, "abc");
}

TEST(PostfixParserTest, RejectsBecomeReplies) {
  auto r = IngestLines({
      "Jul 12 07:47:48 saturn postfix/smtpd[8738]: NOQUEUE: reject: RCPT from "
      "x.example[192.0.2.4]: 554 5.7.1 <a@b.test>: Relay access denied; from=<j@example.com> "
      "to=<a@b.test> proto=SMTP helo=<x>",
      "Jul 12 07:47:49 saturn postfix/smtpd[8738]: NOQUEUE: reject: RCPT from "
      "x.example[192.0.2.4]: 550 5.1.1 <c@here.test>: Recipient address rejected: User unknown "
      "in local recipient table; from=<j@example.com> to=<c@here.test> proto=ESMTP helo=<x>",
  });
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].code, 554);
  EXPECT_EQ(replies[0].command, "RCPT");
  EXPECT_EQ(replies[0].rcpt_to, "a@b.test");
  EXPECT_EQ(replies[0].mail_from, "j@example.com");
  EXPECT_NE(replies[0].text.find("Relay access denied"), std::string::npos);
  EXPECT_EQ(replies[1].enhanced, "5.1.1");
  EXPECT_EQ(Ip(replies[1]), "192.0.2.4");
}

TEST(PostfixParserTest, DisconnectCountsFillMissingAttempts) {
  auto r =
      IngestLines({"Feb 10 13:26:34 srv postfix/smtpd[123]: disconnect from "
                   "unknown[192.0.2.1] helo=1 auth=0/3 quit=1 commands=2/5"});
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 3u);
  for (const auto& a : auths) {
    EXPECT_EQ(a.outcome, "failure");
    EXPECT_EQ(Ip(a), "192.0.2.1");
  }
}

TEST(PostfixParserTest, ConnectionLostToAuthServerIsNotAPasswordFailure) {
  auto r =
      IngestLines({"Feb  3 08:29:28 mail postfix/smtpd[21022]: warning: unknown[1.1.1.1]: "
                   "SASL LOGIN authentication failed: Connection lost to authentication "
                   "server"});
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 1u);
  EXPECT_EQ(auths[0].outcome, "unknown");
}

TEST(PostfixParserTest, UnknownMessagesAreCounted) {
  auto r = IngestLines({"Nov 23 10:00:00 mx postfix/smtpd[1]: something postfix never said"});
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.counters.Get("not_understood.postfix"), 1);
}

TEST(PostfixProtocolTest, FromSyslogName) {
  EXPECT_EQ(PostfixProtocol("postfix/smtpd"), "smtp");
  EXPECT_EQ(PostfixProtocol("postfix/submission/smtpd"), "submission");
  EXPECT_EQ(PostfixProtocol("postfix-smo/submission/smtpd"), "submission");
  EXPECT_EQ(PostfixProtocol("postfix/smtps/smtpd"), "smtps");
  EXPECT_EQ(PostfixProtocol("postfix-incoming/smtpd"), "smtp");
}

}  // namespace
}  // namespace mxir::logs
