// Exim's connection-level lines (log_selector +smtp_connection) as session events, in the shape
// Exim 4.9x writes them (Exim is not installable next to the lab's Postfix).
#include <gtest/gtest.h>

#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(EximConnections, ConnectionsAndTheirEndsAreSessions) {
  auto r = IngestLines({
      "2026-12-06 22:00:00 SMTP connection from [192.0.2.180]:51234 I=[198.51.100.25]:25 "
      "(TCP/IP connection count = 1)",
      "2026-12-06 22:00:00 SMTP connection from [192.0.2.181]:40000 I=[198.51.100.25]:587 "
      "(TCP/IP connection count = 2)",
      "2026-12-06 22:00:02 SMTP connection from (ws.example) [192.0.2.180]:51234 "
      "I=[198.51.100.25]:25 lost D=2s",
      "2026-12-06 22:00:03 SMTP connection from (ws2.example) [192.0.2.181]:40000 "
      "I=[198.51.100.25]:587 closed by QUIT",
      "2026-12-06 22:00:04 unexpected disconnection while reading SMTP command from "
      "(bot.example) [192.0.2.182]:1234 I=[198.51.100.25]:25 D=0s",
      "2026-12-06 22:05:00 SMTP command timeout on connection from [192.0.2.183]:2222 "
      "I=[198.51.100.25]:25 D=5m",
      "2026-12-06 22:06:00 SMTP connection from [192.0.2.184] refused: too many connections from "
      "that IP address",
  });
  auto starts = r.Of(EventKind::kSessionStart);
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].source, "exim");
  EXPECT_EQ(Ip(starts[0]), "192.0.2.180");
  EXPECT_EQ(starts[0].client_port, 51234);
  EXPECT_EQ(starts[0].server_port, 25);
  EXPECT_EQ(starts[1].protocol, "submission");
  auto ends = r.Of(EventKind::kSessionEnd);
  ASSERT_EQ(ends.size(), 4u);
  EXPECT_EQ(ends[0].session, starts[0].session);
  EXPECT_EQ(ends[0].state, "reset");
  EXPECT_EQ(ends[0].duration_s, 2.0);
  EXPECT_EQ(ends[1].session, starts[1].session);
  EXPECT_EQ(ends[1].state, "closed");
  EXPECT_EQ(Ip(ends[2]), "192.0.2.182");
  EXPECT_EQ(ends[2].state, "reset");
  EXPECT_EQ(Ip(ends[3]), "192.0.2.183");
  EXPECT_EQ(ends[3].state, "timeout");
  EXPECT_NE(ends[2].session, ends[3].session);
  // A refused connection stays a reply, as before.
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(Ip(replies[0]), "192.0.2.184");
  EXPECT_EQ(r.counters.Get("not_understood.exim"), 0);
}

// Lines a real Exim 4.96 (Debian 12's, run privately by tests/integration/ingest/exim-lines.sh)
// wrote: auth failures, the success only the "<=" line's A= shows, a refused relay and a local
// delivery that names the local part first and the envelope recipient in angle brackets.
TEST(EximConnections, AuthRejectAndDeliveryJoinTheirConnection) {
  auto r = IngestLines({
      "2026-12-07 04:34:35 [15683] SMTP connection from [127.0.0.82]:48469 I=[127.0.0.1]:59255 "
      "(TCP/IP connection count = 2)",
      "2026-12-07 04:34:35 [16687] plain_server authenticator failed for (ws82) "
      "[127.0.0.82]:48469 I=[127.0.0.1]:59255: 535 Incorrect authentication data (set_id=alice)",
      "2026-12-07 04:34:35 [16687] SMTP connection from (ws82) [127.0.0.82]:48469 "
      "I=[127.0.0.1]:59255 closed by QUIT",
      "2026-12-07 04:34:35 [15683] SMTP connection from [127.0.0.83]:57673 I=[127.0.0.1]:59255 "
      "(TCP/IP connection count = 1)",
      "2026-12-07 04:34:35 [16700] 1xaQQt-0004LM-2r <= alice@lab.example H=(ws83) "
      "[127.0.0.83]:57673 I=[127.0.0.1]:59255 P=esmtpa A=plain_server:alice S=255 "
      "id=m1@lab.example",
      "2026-12-07 04:34:35 [16700] SMTP connection from (ws83) [127.0.0.83]:57673 "
      "I=[127.0.0.1]:59255 closed by QUIT",
      "2026-12-07 04:34:35 [16701] 1xaQQt-0004LM-2r => bob <bob@lab.example> R=local_user "
      "T=local_file",
      "2026-12-07 04:34:35 [16701] 1xaQQt-0004LM-2r Completed",
      "2026-12-07 04:34:36 [15683] SMTP connection from [127.0.0.84]:55249 I=[127.0.0.1]:59255 "
      "(TCP/IP connection count = 1)",
      "2026-12-07 04:34:36 [16710] H=(ws84) [127.0.0.84]:55249 I=[127.0.0.1]:59255 "
      "F=<x@outside.example> rejected RCPT <bob@elsewhere.example>: relay not permitted",
  });
  auto starts = r.Of(EventKind::kSessionStart);
  ASSERT_EQ(starts.size(), 3u);
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(Ip(auth[0]), "127.0.0.82");
  EXPECT_EQ(auth[0].user, "alice");
  EXPECT_EQ(auth[0].outcome, "failure");
  EXPECT_EQ(auth[0].session, starts[0].session);
  EXPECT_EQ(Ip(auth[1]), "127.0.0.83");
  EXPECT_EQ(auth[1].user, "alice");
  EXPECT_EQ(auth[1].outcome, "success");
  EXPECT_EQ(auth[1].mechanism, "PLAIN");
  EXPECT_EQ(auth[1].session, starts[1].session);
  auto deliveries = r.Of(EventKind::kDelivery);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].rcpt_to, "bob@lab.example");
  EXPECT_EQ(deliveries[0].status, "sent");
  auto messages = r.Of(EventKind::kMessage);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].recipients, std::vector<std::string>{"bob@lab.example"});
  EXPECT_EQ(messages[0].user, "alice");
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(Ip(replies[0]), "127.0.0.84");
  EXPECT_EQ(replies[0].command, "RCPT");
  EXPECT_EQ(replies[0].rcpt_to, "bob@elsewhere.example");
  EXPECT_EQ(replies[0].session, starts[2].session);
  EXPECT_EQ(r.counters.Get("not_understood.exim"), 0);
}

}  // namespace
}  // namespace mxir::logs
