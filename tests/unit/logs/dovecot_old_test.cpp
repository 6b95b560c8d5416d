// Dovecot 1.x log lines (old appliances), PAM lines with only ruser=, and login lines that count
// several failed attempts.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(DovecotOld, Dovecot1LogFileLines) {
  // Dovecot 1.x with log_path: "dovecot: <stamp> <Level>: <process>: ...".
  auto r = IngestLines({
      "dovecot: Dec 06 21:20:01 Info: auth(default): passwd-file(carol,192.0.2.120): "
      "password mismatch",
      "dovecot: Dec 06 21:20:02 Info: auth-worker(default): pam(dave,192.0.2.121): "
      "pam_authenticate() failed: Authentication failure (password mismatch?)",
      "dovecot: Dec 06 21:20:03 Info: pop3-login: Aborted login (1 authentication attempts): "
      "user=<carol>, method=PLAIN, rip=192.0.2.120, lip=198.51.100.1",
      "dovecot: Dec 06 21:20:04 Info: imap-login: Login: user=<erin>, method=PLAIN, "
      "rip=::ffff:192.0.2.122, lip=::ffff:198.51.100.1, TLS",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 4u) << r.counters.ToJson();
  EXPECT_EQ(auths[0].user, "carol");
  EXPECT_EQ(auths[0].outcome, "failure");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.120");
  EXPECT_EQ(auths[0].ts.seconds() % 86400, 21 * 3600 + 20 * 60 + 1);
  EXPECT_EQ(auths[1].user, "dave");
  EXPECT_EQ(auths[1].outcome, "failure");
  EXPECT_EQ(auths[2].user, "carol");  // "Aborted login (1 authentication attempts)"
  EXPECT_EQ(auths[2].outcome, "failure");
  EXPECT_EQ(auths[2].protocol, "pop3");
  EXPECT_EQ(auths[3].user, "erin");
  EXPECT_EQ(auths[3].outcome, "success");
  EXPECT_EQ(Ip(auths[3]), "192.0.2.122");
  EXPECT_EQ(auths[3].protocol, "imap");
  EXPECT_EQ(r.counters.Get("not_understood.dovecot"), 0);
}

TEST(DovecotOld, PamLineWithOnlyRuser) {
  auto r = IngestLines({
      "Dec  6 21:21:00 mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 "
      "euid=0 tty=dovecot ruser=frank rhost=192.0.2.130",
      "Dec  6 21:21:01 mx dovecot[900]: pam_unix(dovecot:auth): authentication failure; "
      "logname= uid=0 euid=0 tty=dovecot ruser=grace rhost=192.0.2.131  user=grace2",
  });
  auto auths = r.Of(EventKind::kAuth);
  ASSERT_EQ(auths.size(), 2u);
  EXPECT_EQ(auths[0].user, "frank");
  EXPECT_EQ(Ip(auths[0]), "192.0.2.130");
  EXPECT_EQ(auths[0].outcome, "failure");
  EXPECT_EQ(auths[1].user, "grace2");  // user= names the account when PAM knows it
  EXPECT_EQ(Ip(auths[1]), "192.0.2.131");
}

}  // namespace
}  // namespace mxir::logs
