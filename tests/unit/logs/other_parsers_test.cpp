// One representative line per smaller format: kind, outcome, client and user.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

struct Case {
  const char* line;
  const char* source;
  EventKind kind;
  const char* outcome;  // for auth events
  const char* ip;
  const char* user;
};

class OtherParsersTest : public ::testing::TestWithParam<Case> {};

TEST_P(OtherParsersTest, OneLine) {
  const Case& c = GetParam();
  auto r = IngestLines({c.line});
  ASSERT_EQ(r.events.size(), 1u) << c.line;
  const Event& e = r.events[0];
  EXPECT_EQ(e.source, c.source);
  EXPECT_EQ(e.kind, c.kind);
  if (c.kind == EventKind::kAuth) {
    EXPECT_EQ(e.outcome, c.outcome);
  }
  EXPECT_EQ(Ip(e), c.ip);
  EXPECT_EQ(e.user, c.user);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, OtherParsersTest,
    ::testing::Values(
        Case{"2013-01-04 17:03:46 login authenticator failed for h.example ([192.168.2.33]) "
             "[24.106.174.74]: 535 Incorrect authentication data (set_id=brian)",
             "exim", EventKind::kAuth, "failure", "24.106.174.74", "brian"},
        Case{"2013-06-10 18:33:32 [10099] H=(yakult.com.tw) [202.132.70.178]:3755 "
             "I=[1.2.3.4]:25 F=a@b.org rejected RCPT dir@ml3.ru: relay not permitted",
             "exim", EventKind::kReply, "", "202.132.70.178", ""},
        Case{"Feb 25 04:02:28 relay1 sendmail[1]: 06I02CNi016765: AUTH failure (LOGIN): "
             "authentication failure (-13) SASL(-13): authentication failure: checkpass failed, "
             "user=criminal, relay=[192.0.2.100], relay=[192.0.2.4] (may be forged)",
             "sendmail", EventKind::kAuth, "failure", "192.0.2.4", "criminal"},
        Case{"Apr 23 21:59:01 dns2 imapd: LOGIN FAILED, user=sales@example.com, "
             "ip=[::ffff:1.2.3.4]",
             "courier", EventKind::kAuth, "failure", "1.2.3.4", "sales@example.com"},
        Case{"Jan 4 21:51:05 hostname cyrus/imap[5355]: badlogin: localhost [127.0.0.1] "
             "plaintext cyrus@localdomain SASL(-13): authentication failure: checkpass failed",
             "cyrus", EventKind::kAuth, "failure", "127.0.0.1", "cyrus@localdomain"},
        Case{"Jul 3 20:56:53 Linux2 imapd[666]: Login failed user=lizdy auth=lizdy "
             "host=h.example [81.169.154.112]",
             "uw-imap", EventKind::kAuth, "failure", "81.169.154.112", "lizdy"},
        Case{"03-07-2005 23:07:20   SMTP Server: Authentication failed for user postmaster ; "
             "connecting host 1.2.3.4",
             "domino", EventKind::kAuth, "failure", "1.2.3.4", "postmaster"},
        Case{"[18/May/2017 07:25:15] Failed SMTP login from 212.92.127.112 with SASL method "
             "CRAM-MD5.",
             "kerio", EventKind::kAuth, "failure", "212.92.127.112", ""},
        Case{"Sep  6 07:33:33 sd6 qmail: 1157520813.485077 rblsmtpd: 198.51.100.77 pid 19597 "
             "sbl-xbl.spamhaus.org: 451 http://www.spamhaus.org/query/bl?ip=198.51.100.77",
             "qmail", EventKind::kReply, "", "198.51.100.77", ""},
        Case{"<co ts=\"2014-06-02T16:06:33.99\" pi=\"x\" sc=\"tcp_local\" dr=\"+\" ac=\"U\" "
             "tr=\"TCP|192.245.12.223|25|89.96.245.78|4299\" ap=\"SMTP\" mi=\"Bad password\" "
             "us=\"nic@transcend.com\" di=\"535 5.7.8 Bad username or password\"/>",
             "oracleims", EventKind::kAuth, "failure", "89.96.245.78", "nic@transcend.com"},
        Case{"Nov 17 23:10:03 emf solid-pop3d[16993]: authentication failed for user jacques - "
             "190.16.165.230",
             "solid-pop3d", EventKind::kAuth, "failure", "190.16.165.230", "jacques"},
        Case{"May 26 07:12:40 hamster roundcube: IMAP Error: Login failed for sales@example.com "
             "from 10.1.1.47",
             "roundcube", EventKind::kAuth, "failure", "10.1.1.47", "sales@example.com"},
        Case{"Mar 24 08:58:32 sogod [26818]: SOGoRootPage Login from '173.194.44.31' for user "
             "'hack0r' might not have worked - password policy: 65535",
             "sogo", EventKind::kAuth, "failure", "173.194.44.31", "hack0r"},
        Case{"10/06/2013 15:50:41 [LOGIN_ERROR] dadas (mydomain.org) from 151.64.44.11: Unknown "
             "user or password incorrect.",
             "squirrelmail", EventKind::kAuth, "failure", "151.64.44.11", "dadas"}));

}  // namespace
}  // namespace mxir::logs
