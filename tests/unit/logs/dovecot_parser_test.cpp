#include "logs/dovecot_parser.h"

#include <gtest/gtest.h>

#include "core/event_json.h"
#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(DovecotParserTest, LoginSuccessAndFailures) {
  auto r = IngestLines({
      "Nov 23 10:00:00 mx dovecot: imap-login: Login: user=<bob@example.test>, method=PLAIN, "
      "rip=192.0.2.9, lip=192.0.2.1, mpid=1234, TLS, session=<abc>",
      "Nov 23 10:00:01 mx dovecot: pop3-login: Disconnected (auth failed, 3 attempts in 12 "
      "secs): user=<eve>, method=LOGIN, rip=198.51.100.3, lip=192.0.2.1, session=<def>",
      "Nov 23 10:00:02 mx dovecot: imap-login: Disconnected (no auth attempts in 1 secs): "
      "user=<>, rip=198.51.100.4, lip=192.0.2.1, TLS",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 4u);
  EXPECT_EQ(auths[0].outcome, "success");
  EXPECT_EQ(auths[0].protocol, "imap");
  EXPECT_EQ(auths[0].user, "bob@example.test");
  EXPECT_EQ(auths[0].session, "dovecot:abc");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.9");
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(auths[i].outcome, "failure");
    EXPECT_EQ(auths[i].protocol, "pop3");
    EXPECT_EQ(auths[i].user, "eve");
    EXPECT_EQ(auths[i].origin.index, i - 1);
  }
  ASSERT_EQ(r.Of(EventKind::kSessionEnd).size(), 1u);
}

TEST(DovecotParserTest, BackendLinesAndSha1Fingerprint) {
  auto r = IngestLines({
      "Jun 11 13:57:17 main dovecot: auth: ldap(user@server.org,192.0.2.25,<LZmG>): Password "
      "mismatch (for LDAP bind) (SHA1 of given password: f638ff)",
      "Jan 29 05:13:50 mail dovecot: auth: passwd-file(alice,192.0.2.26): unknown user",
      "Apr 19 05:22:20 vm5 auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 "
      "euid=0 tty=dovecot ruser=rhost=1.2.3.4 rhost=192.0.2.27  user=root",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 3u);
  EXPECT_EQ(auths[0].secret_fp, "");  // Dovecot's unsalted SHA-1 is stored only keyed (no key here)
  EXPECT_EQ(auths[0].user, "user@server.org");
  EXPECT_EQ(auths[0].reason, "Password mismatch (for LDAP bind)");
  EXPECT_EQ(auths[1].user, "alice");
  EXPECT_EQ(auths[1].reason, "unknown user");
  EXPECT_EQ(Ip(auths[2]), "192.0.2.27");  // not the injected "rhost=1.2.3.4"
  EXPECT_EQ(auths[2].user, "root");
}

TEST(DovecotParserTest, PlainPasswordIsNeverKept) {
  std::array<uint8_t, 32> key{};
  SecretFingerprinter fp(key);
  const std::string line =
      "Aug 30 00:10:57 auth(info@example.com,192.0.2.110,sasl:login)<CvN>: Info: sql: Password "
      "mismatch (given password: Hunter2Secret)";
  const SecretFingerprinter* with_key = &fp;
  for (const SecretFingerprinter* f :
       {static_cast<const SecretFingerprinter*>(nullptr), with_key}) {
    auto r = IngestLines({line}, "auto", f);
    ASSERT_EQ(r.events.size(), 1u);
    std::string json = EventToJson(r.events[0]);
    EXPECT_EQ(json.find("Hunter2Secret"), std::string::npos) << json;
    EXPECT_EQ(r.events[0].user, "info@example.com");
    EXPECT_EQ(r.events[0].mechanism, "LOGIN");
    EXPECT_EQ(r.events[0].secret_fp.empty(), f == nullptr);
    if (f != nullptr) {
      EXPECT_EQ(r.events[0].secret_fp, fp.Fingerprint("Hunter2Secret"));
    }
  }
}

TEST(DovecotParserTest, PlaintextRefusalIsAReply) {
  auto r =
      IngestLines({"Dec 12 11:19:11 dunnart dovecot: pop3-login: Aborted login (tried to "
                   "use disallowed plaintext auth): rip=190.210.136.21, lip=113.212.99.193"});
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].command, "AUTH");
}

}  // namespace
}  // namespace mxir::logs
