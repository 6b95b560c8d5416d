// OpenSMTPD, Zimbra (audit.log, mailbox.log), the nginx mail proxy, and Postfix/Dovecot lines as
// containerised mail stacks write them: each recognised by --log-format auto.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(OpenSmtpd, SessionAuthFailuresRejectsAndMessage) {
  auto r = IngestLines({
      "Dec  6 21:30:00 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp connected address=192.0.2.140 "
      "host=ws.example",
      "Dec  6 21:30:01 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp authentication user=alice "
      "result=permfail",
      "Dec  6 21:30:02 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp failed-command command=\"AUTH "
      "PLAIN (...)\" result=\"535 Authentication failed\"",
      "Dec  6 21:30:03 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp authentication user=alice "
      "result=ok",
      "Dec  6 21:30:04 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp failed-command "
      "command=\"RCPT TO:<nobody@lab.example>\" result=\"550 Invalid recipient: "
      "<nobody@lab.example>\"",
      "Dec  6 21:30:05 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp message msgid=1f2e3d4c size=2048 "
      "nrcpt=1 proto=ESMTP",
      "Dec  6 21:30:05 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp envelope evpid=1f2e3d4c00000001 "
      "from=<alice@lab.example> to=<bob@remote.example>",
      "Dec  6 21:30:06 mx smtpd[4100]: 3b9f1c2a7d6e5f40 smtp disconnected reason=quit",
      // 6.0-6.4 wording.
      "Dec  6 21:31:00 mx smtpd[4100]: 0a0b0c0d0e0f1011 smtp event=authentication user=carol "
      "address=192.0.2.141 host=x result=permfail",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 3u);
  EXPECT_EQ(auths[0].source, "opensmtpd");
  EXPECT_EQ(auths[0].user, "alice");
  EXPECT_EQ(auths[0].outcome, "failure");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.140");
  EXPECT_EQ(auths[0].session, "opensmtpd:3b9f1c2a7d6e5f40");
  EXPECT_EQ(auths[1].outcome, "success");
  EXPECT_EQ(auths[2].user, "carol");
  EXPECT_EQ(Ip(auths[2]), "192.0.2.141");
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].command, "AUTH");
  EXPECT_EQ(replies[0].code, 535);
  EXPECT_EQ(replies[1].command, "RCPT");
  EXPECT_EQ(replies[1].rcpt_to, "nobody@lab.example");
  EXPECT_EQ(replies[1].code, 550);
  auto messages = r.Of(EventKind::kMessage);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].mail_from, "alice@lab.example");
  EXPECT_EQ(messages[0].recipients, std::vector<std::string>{"bob@remote.example"});
  EXPECT_EQ(messages[0].size, 2048);
  EXPECT_EQ(messages[0].user, "alice");
  ASSERT_EQ(r.Of(EventKind::kSessionStart).size(), 1u);
  ASSERT_EQ(r.Of(EventKind::kSessionEnd).size(), 1u);
  EXPECT_EQ(r.counters.Get("unknown_format"), 0);
}

TEST(Zimbra, AuditAndMailboxLog) {
  auto r = IngestLines({
      "2026-12-06 21:40:00,123 WARN  [qtp1395139322-127:https://mail.example.com/service/soap/"
      "AuthRequest] [name=alice@example.com;oip=192.0.2.150;ip=10.0.0.5;ua=ZimbraWebClient - "
      "FF;] security - cmd=Auth; account=alice@example.com; protocol=soap; error=authentication "
      "failed for [alice@example.com], invalid password;",
      "2026-12-06 21:40:01,456 INFO  [qtp1395139322-128:https://mail.example.com/service/soap/"
      "AuthRequest] [name=alice@example.com;oip=192.0.2.150;ua=ZimbraWebClient - FF;] security "
      "- cmd=Auth; account=alice@example.com; protocol=soap;",
      "2026-12-06 21:40:02,789 INFO  [ImapSSLServer-12] [ip=192.0.2.151;] imap - "
      "authentication failed for [bob@example.com], invalid password",
      "2026-12-06 21:40:03,000 INFO  [Pop3SSLServer-3] [ip=10.0.0.5;oip=192.0.2.152;] pop3 - "
      "user carol@example.com authenticated, mechanism=PLAIN",
      "2026-12-06 21:40:04,000 INFO  [qtp1395139322-129] [] soap - GetInfoRequest elapsed=3",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 4u) << r.counters.ToJson();
  EXPECT_EQ(auths[0].source, "zimbra");
  EXPECT_EQ(auths[0].user, "alice@example.com");
  EXPECT_EQ(auths[0].outcome, "failure");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.150");  // oip, not the proxy's ip
  EXPECT_EQ(auths[0].reason, "invalid password");
  EXPECT_EQ(auths[0].protocol, "webmail");
  EXPECT_EQ(auths[0].ts.micros() % 1000000, 123000);
  EXPECT_EQ(auths[1].outcome, "success");
  EXPECT_EQ(auths[2].user, "bob@example.com");
  EXPECT_EQ(auths[2].protocol, "imap");
  EXPECT_EQ(Ip(auths[2]), "192.0.2.151");
  EXPECT_EQ(auths[3].user, "carol@example.com");
  EXPECT_EQ(auths[3].outcome, "success");
  EXPECT_EQ(Ip(auths[3]), "192.0.2.152");
  EXPECT_EQ(r.counters.Get("unknown_format"), 0);
}

TEST(NginxMail, AuthHttpFailures) {
  auto r = IngestLines({
      "2026/12/06 21:50:00 [info] 1234#1234: *57 client 192.0.2.160:51234 connected to "
      "0.0.0.0:993",
      "2026/12/06 21:50:01 [info] 1234#1234: *57 client login failed: \"Invalid login or "
      "password\" while in http auth state, client: 192.0.2.160, server: 0.0.0.0:993, login: "
      "\"alice\"",
      "2026/12/06 21:50:02 [error] 1234#1234: *58 auth http server 127.0.0.1:9000 timed out "
      "(110: Connection timed out) while in http auth state, client: 192.0.2.161, server: "
      "0.0.0.0:587, login: \"bob\"",
      "2026/12/06 21:50:03 [error] 1234#1234: *59 open() \"/var/www/x\" failed (2: No such file "
      "or directory), client: 192.0.2.162, server: www, request: \"GET /x HTTP/1.1\"",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 2u);
  EXPECT_EQ(auths[0].source, "nginx");
  EXPECT_EQ(auths[0].user, "alice");
  EXPECT_EQ(auths[0].outcome, "failure");
  EXPECT_EQ(auths[0].protocol, "imap");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.160");
  EXPECT_EQ(auths[0].reason, "Invalid login or password");
  EXPECT_EQ(auths[1].outcome, "unknown");
  EXPECT_EQ(auths[1].protocol, "submission");
  auto starts = r.Of(EventKind::kSessionStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].client_port, 51234);
  EXPECT_EQ(starts[0].session, auths[0].session);
}

TEST(Containers, DockerComposeJsonFileAndJournaldPrefixes) {
  auto r = IngestLines({
      // docker compose logs (mailcow, Mailu): "service | line".
      "postfix-mailcow-1  | Dec  6 21:55:00 mx postfix/smtpd[700]: connect from "
      "unknown[192.0.2.170]",
      "postfix-mailcow-1  | Dec  6 21:55:01 mx postfix/smtpd[700]: warning: "
      "unknown[192.0.2.170]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, "
      "sasl_username=alice@example.com",
      "dovecot-mailcow-1  | Dec  6 21:55:02 mx dovecot: imap-login: Disconnected (auth failed, "
      "2 attempts in 6 secs): user=<bob@example.com>, method=PLAIN, rip=192.0.2.171, "
      "lip=172.22.1.250, session=<abc>",
      // docker's json-file driver.
      "{\"log\":\"Dec  6 21:55:03 mx postfix/smtpd[701]: warning: unknown[192.0.2.172]: SASL "
      "PLAIN authentication failed: \\u003creason\\u003e, sasl_username=carol\\n\","
      "\"stream\":\"stdout\",\"time\":\"2026-12-06T21:55:03.123456789Z\"}",
      // docker logs --timestamps: the engine's stamp before the line's own.
      "2026-12-06T21:55:04.000000001Z Dec  6 21:55:04 mx postfix/smtpd[702]: warning: "
      "unknown[192.0.2.173]: SASL LOGIN authentication failed: authentication failure, "
      "sasl_username=dave",
      // journald with the docker log driver: the container's tag, then the line.
      "Dec 06 21:55:05 host 1a2b3c4d5e6f[999]: Dec  6 21:55:05 mx postfix/smtpd[703]: warning: "
      "unknown[192.0.2.174]: SASL LOGIN authentication failed: authentication failure, "
      "sasl_username=erin",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 6u) << r.counters.ToJson();
  EXPECT_EQ(auths[0].source, "postfix");
  EXPECT_EQ(auths[0].user, "alice@example.com");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.170");
  EXPECT_EQ(auths[1].source, "dovecot");
  EXPECT_EQ(auths[1].user, "bob@example.com");
  EXPECT_EQ(auths[2].user, "bob@example.com");
  EXPECT_EQ(auths[3].user, "carol");
  EXPECT_EQ(Ip(auths[3]), "192.0.2.172");
  EXPECT_EQ(auths[4].user, "dave");
  EXPECT_EQ(auths[4].ts, ParseTimestamp("2026-12-06T21:55:04Z").value());
  EXPECT_EQ(auths[5].user, "erin");
  EXPECT_EQ(Ip(auths[5]), "192.0.2.174");
  EXPECT_EQ(r.counters.Get("unknown_format"), 0);
  EXPECT_EQ(r.counters.Get("not_understood.postfix"), 0);
}

}  // namespace
}  // namespace mxir::logs
