// Postfix lines that give rejections, queue states and connection-level session events: the
// shapes Postfix 3.x writes (the lab test tests/integration/ingest/postfix-lines.sh makes most of
// them with a real Postfix; the rest follow Postfix's documented formats).
#include <map>

#include <gtest/gtest.h>

#include "core/event_json.h"
#include "logs/postfix_parser.h"
#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::IngestLines;
using testing::Ip;

TEST(PostfixRejections, NonSmtpCommandIsAProtocolErrorOfThatClient) {
  auto r = IngestLines({
      "Dec  6 21:10:00 mx postfix/smtpd[200]: connect from unknown[192.0.2.50]",
      "Dec  6 21:10:00 mx postfix/smtpd[200]: warning: non-SMTP command from "
      "unknown[192.0.2.50]: GET / HTTP/1.1",
      "Dec  6 21:10:00 mx postfix/smtpd[200]: disconnect from unknown[192.0.2.50] "
      "unknown=0/1 commands=0/1",
  });
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(Ip(replies[0]), "192.0.2.50");
  EXPECT_EQ(replies[0].text, "non-SMTP command");
  EXPECT_EQ(replies[0].command, "GET");
  EXPECT_EQ(replies[0].reason, "GET / HTTP/1.1");
  EXPECT_EQ(replies[0].session, r.events[0].session);
}

TEST(PostfixRejections, NoqueueWithoutSenderParsesItsTail) {
  auto r = IngestLines({
      "Dec  6 21:10:01 mx postfix/smtpd[201]: NOQUEUE: reject: VRFY from unknown[192.0.2.51]: "
      "550 5.1.1 <nobody@lab.example>: Recipient address rejected: User unknown in local "
      "recipient table; to=<nobody@lab.example> proto=SMTP helo=<probe.example>",
      "Dec  6 21:10:02 mx postfix/smtpd[201]: NOQUEUE: reject: CONNECT from "
      "unknown[192.0.2.52]: 554 5.7.1 <unknown[192.0.2.52]>: Client host rejected: Access "
      "denied; proto=SMTP",
  });
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].command, "VRFY");
  EXPECT_EQ(replies[0].code, 550);
  EXPECT_EQ(replies[0].rcpt_to, "nobody@lab.example");
  EXPECT_EQ(replies[0].helo, "probe.example");
  EXPECT_EQ(replies[0].esmtp, false);
  EXPECT_TRUE(replies[0].mail_from.empty());
  EXPECT_EQ(replies[0].text,
            "<nobody@lab.example>: Recipient address rejected: User unknown in local recipient "
            "table");
  EXPECT_EQ(replies[1].command, "CONNECT");
  EXPECT_EQ(replies[1].text, "<unknown[192.0.2.52]>: Client host rejected: Access denied");
}

// Lines leading to a queue id whose message a milter, a header check or a before-queue filter
// refuses: the refusal carries the client, session, sender and recipients of that queue id.
const std::vector<std::string> kQueued = {
    "Dec  6 21:11:00 mx postfix/smtpd[300]: connect from ws.example[192.0.2.60]",
    "Dec  6 21:11:01 mx postfix/smtpd[300]: 4QAB1C2D3E: client=ws.example[192.0.2.60], "
    "sasl_method=LOGIN, sasl_username=alice",
};

TEST(PostfixRejections, CleanupMilterRejectIsTiedToTheQueueId) {
  auto lines = kQueued;
  lines.push_back("Dec  6 21:11:02 mx postfix/cleanup[301]: 4QAB1C2D3E: message-id=<r1@x>");
  lines.push_back(
      "Dec  6 21:11:02 mx postfix/cleanup[301]: 4QAB1C2D3E: milter-reject: END-OF-MESSAGE "
      "from ws.example[192.0.2.60]: 5.7.1 Command rejected; from=<alice@lab.example> "
      "to=<bob@remote.example> proto=ESMTP helo=<ws.example>");
  auto r = IngestLines(lines);
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  const Event& e = replies[0];
  EXPECT_EQ(e.command, "END-OF-MESSAGE");
  EXPECT_EQ(e.code, 550);
  EXPECT_EQ(e.enhanced, "5.7.1");
  EXPECT_EQ(e.text, "Command rejected");
  EXPECT_EQ(e.mail_from, "alice@lab.example");
  EXPECT_EQ(e.rcpt_to, "bob@remote.example");
  EXPECT_EQ(e.user, "alice");
  EXPECT_EQ(e.queue_id, "4QAB1C2D3E");
  EXPECT_EQ(Ip(e), "192.0.2.60");
  EXPECT_EQ(e.session, r.events[0].session);  // the smtpd session of that client
  // Refused: never in the queue, so no message at the end of the input.
  EXPECT_TRUE(r.Of(EventKind::kMessage).empty());
}

TEST(PostfixRejections, HeaderCheckRejectInCleanup) {
  auto lines = kQueued;
  lines.push_back(
      "Dec  6 21:11:02 mx postfix/cleanup[301]: 4QAB1C2D3E: reject: header Subject: buy now "
      "from ws.example[192.0.2.60]; from=<alice@lab.example> to=<bob@remote.example> "
      "proto=ESMTP helo=<ws.example>: 5.7.1 no spam here");
  auto r = IngestLines(lines);
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].command, "header");
  EXPECT_EQ(replies[0].code, 550);
  EXPECT_EQ(replies[0].text, "no spam here");
  EXPECT_EQ(replies[0].mail_from, "alice@lab.example");
  EXPECT_EQ(replies[0].session, r.events[0].session);
}

TEST(PostfixRejections, ProxyRejectOfABeforeQueueFilter) {
  auto lines = kQueued;
  lines.push_back(
      "Dec  6 21:11:03 mx postfix/smtpd[300]: 4QAB1C2D3E: proxy-reject: END-OF-MESSAGE: 554 "
      "5.7.1 Rejected by content filter; from=<alice@lab.example> to=<bob@remote.example> "
      "proto=ESMTP helo=<ws.example>");
  auto r = IngestLines(lines);
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].command, "END-OF-MESSAGE");
  EXPECT_EQ(replies[0].code, 554);
  EXPECT_EQ(replies[0].text, "Rejected by content filter");
  EXPECT_EQ(replies[0].rcpt_to, "bob@remote.example");
  EXPECT_EQ(Ip(replies[0]), "192.0.2.60");
  EXPECT_EQ(replies[0].queue_id, "4QAB1C2D3E");
}

TEST(PostfixRejections, PostscreenVerdictsNameTheClientAndTheReason) {
  auto r = IngestLines({
      "Dec  6 21:12:00 mx postfix/postscreen[400]: CONNECT from [192.0.2.70]:40001 to "
      "[198.51.100.25]:25",
      "Dec  6 21:12:00 mx postfix/postscreen[400]: PREGREET 11 after 0.01 from "
      "[192.0.2.70]:40001: EHLO x\\r\\n",
      "Dec  6 21:12:01 mx postfix/postscreen[400]: DISCONNECT [192.0.2.70]:40001",
      "Dec  6 21:12:02 mx postfix/postscreen[400]: CONNECT from [192.0.2.71]:40002 to "
      "[198.51.100.25]:25",
      "Dec  6 21:12:02 mx postfix/postscreen[400]: BLACKLISTED [192.0.2.71]:40002",
      "Dec  6 21:12:03 mx postfix/postscreen[400]: CONNECT from [192.0.2.72]:40003 to "
      "[198.51.100.25]:25",
      "Dec  6 21:12:03 mx postfix/postscreen[400]: DNSBL rank 3 for [192.0.2.72]:40003",
      "Dec  6 21:12:04 mx postfix/postscreen[400]: HANGUP after 0.5 from [192.0.2.72]:40003 in "
      "tests after SMTP handshake",
      "Dec  6 21:12:05 mx postfix/postscreen[400]: CONNECT from [192.0.2.73]:40004 to "
      "[198.51.100.25]:25",
      "Dec  6 21:12:06 mx postfix/postscreen[400]: PASS NEW [192.0.2.73]:40004",
  });
  auto starts = r.Of(EventKind::kSessionStart);
  ASSERT_EQ(starts.size(), 4u);
  EXPECT_EQ(Ip(starts[0]), "192.0.2.70");
  EXPECT_EQ(starts[0].client_port, 40001);
  EXPECT_EQ(starts[0].server_ip->ToString(), "198.51.100.25");
  EXPECT_EQ(starts[0].server_port, 25);
  auto replies = r.Of(EventKind::kReply);
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].text, "PREGREET");
  EXPECT_EQ(replies[0].reason, "PREGREET 11 after 0.01 from [192.0.2.70]:40001: EHLO x\\r\\n");
  EXPECT_EQ(replies[0].client_port, 40001);
  EXPECT_EQ(replies[0].session, starts[0].session);
  EXPECT_EQ(replies[1].text, "BLACKLISTED");
  EXPECT_EQ(Ip(replies[1]), "192.0.2.71");
  EXPECT_EQ(replies[1].session, starts[1].session);
  EXPECT_EQ(replies[2].text, "DNSBL rank 3");
  EXPECT_EQ(Ip(replies[2]), "192.0.2.72");
  EXPECT_EQ(replies[3].text, "HANGUP");
  EXPECT_EQ(replies[3].command, "CONNECT");
  auto ends = r.Of(EventKind::kSessionEnd);
  ASSERT_EQ(ends.size(), 2u);  // DISCONNECT, PASS NEW (a HANGUP is a verdict; DISCONNECT ends)
  EXPECT_EQ(ends[0].session, starts[0].session);
  EXPECT_EQ(ends[0].text, "DISCONNECT");
  EXPECT_EQ(ends[1].text, "PASS NEW");
  EXPECT_EQ(ends[1].session, starts[3].session);
  // A proxy's "NOQUEUE: client=" note is understood, without an event.
  auto more =
      IngestLines({"Dec  6 21:12:07 mx postfix/filtered/smtpd[401]: NOQUEUE: "
                   "client=unknown[192.0.2.74]"});
  EXPECT_TRUE(more.events.empty());
  EXPECT_EQ(more.counters.Get("not_understood.postfix"), 0);
  // Sessions are distinct per connection.
  EXPECT_NE(starts[0].session, starts[1].session);
}

TEST(PostfixRejections, ExpiredDeliveryGivesUpWithSenderRecipientsAndAge) {
  auto r = IngestLines({
      "Dec  1 10:00:00 mx postfix/smtpd[500]: 4QEXP1: client=ws.example[192.0.2.80]",
      "Dec  1 10:00:00 mx postfix/qmgr[501]: 4QEXP1: from=<news@lab.example>, size=2048, "
      "nrcpt=1 (queue active)",
      "Dec  1 10:00:05 mx postfix/smtp[502]: 4QEXP1: to=<x@slow.example>, relay=none, "
      "delay=5, delays=0/0/5/0, dsn=4.4.1, status=deferred (connect to "
      "slow.example[203.0.113.9]:25: Connection refused)",
      "Dec  6 10:00:00 mx postfix/qmgr[501]: 4QEXP1: from=<news@lab.example>, status=expired, "
      "returned to sender",
      "Dec  6 10:00:00 mx postfix/qmgr[501]: 4QEXP1: removed",
  });
  auto deliveries = r.Of(EventKind::kDelivery);
  ASSERT_EQ(deliveries.size(), 2u);
  const Event& e = deliveries[1];
  EXPECT_EQ(e.status, "expired");
  EXPECT_EQ(e.mail_from, "news@lab.example");
  EXPECT_EQ(e.recipients, std::vector<std::string>{"x@slow.example"});
  EXPECT_EQ(e.text, "returned to sender");
  ASSERT_TRUE(e.duration_s.has_value());
  EXPECT_DOUBLE_EQ(*e.duration_s, 5 * 86400.0);
  EXPECT_NE(e.reason.find("Connection refused"), std::string::npos);
  EXPECT_EQ(Ip(e), "192.0.2.80");
}

TEST(PostfixRejections, MessagesStillQueuedAtTheEndAreEmitted) {
  const std::vector<std::string> lines = {
      "Dec  6 21:13:00 mx postfix/smtpd[600]: connect from ws.example[192.0.2.90]",
      "Dec  6 21:13:01 mx postfix/smtpd[600]: 4QQ1A2B3C: client=ws.example[192.0.2.90]",
      "Dec  6 21:13:01 mx postfix/cleanup[601]: 4QQ1A2B3C: message-id=<q1@lab.example>",
      "Dec  6 21:13:01 mx postfix/qmgr[602]: 4QQ1A2B3C: from=<alice@lab.example>, size=999, "
      "nrcpt=1 "
      "(queue active)",
      "Dec  6 21:13:02 mx postfix/smtp[603]: 4QQ1A2B3C: to=<z@blocked.example>, "
      "relay=mx.blocked.example[203.0.113.20]:25, delay=1, delays=0/0/0/1, dsn=4.7.1, "
      "status=deferred (host mx.blocked.example[203.0.113.20] said: 450 4.7.1 Client host "
      "blocked using b.barracudacentral.org (in reply to RCPT TO command))",
      // A session that never finished its message: not in the queue, not emitted.
      "Dec  6 21:13:03 mx postfix/smtpd[600]: 4QQ2A2B3C: client=ws.example[192.0.2.90]",
      "Dec  6 21:13:04 mx postfix/smtpd[600]: lost connection after DATA from "
      "ws.example[192.0.2.90]",
      "Dec  6 21:13:04 mx postfix/smtpd[600]: disconnect from ws.example[192.0.2.90] ehlo=1 "
      "mail=1 rcpt=1 data=0/1 commands=3/4",
      // Held by a header check: in the queue.
      "Dec  6 21:13:05 mx postfix/smtpd[604]: 4QQ3A2B3C: client=other.example[192.0.2.91]",
      "Dec  6 21:13:05 mx postfix/cleanup[601]: 4QQ3A2B3C: hold: header Subject: review from "
      "other.example[192.0.2.91]; from=<c@lab.example> to=<d@lab.example> proto=ESMTP "
      "helo=<other.example>: Subject: review",
  };
  auto r = IngestLines(lines);
  auto messages = r.Of(EventKind::kMessage);
  ASSERT_EQ(messages.size(), 2u);
  const Event& m = messages[0];
  EXPECT_EQ(m.state, "queued");
  EXPECT_EQ(m.queue_id, "4QQ1A2B3C");
  EXPECT_EQ(m.mail_from, "alice@lab.example");
  EXPECT_EQ(m.size, 999);
  EXPECT_EQ(m.msg_id, "q1@lab.example");
  EXPECT_EQ(m.recipients, std::vector<std::string>{"z@blocked.example"});
  EXPECT_NE(m.reason.find("b.barracudacentral.org"), std::string::npos);
  EXPECT_EQ(Ip(m), "192.0.2.90");
  EXPECT_EQ(m.origin.line, 5);  // the line that last described 4QQ1A2B3C
  EXPECT_EQ(m.origin.index, 0);
  EXPECT_EQ(messages[1].queue_id, "4QQ3A2B3C");
  EXPECT_EQ(messages[1].reason, "held");
  EXPECT_EQ(messages[1].origin.line, 10);
  // The same input read again gives the same events (same provenance).
  auto again = IngestLines(lines);
  ASSERT_EQ(again.events.size(), r.events.size());
  for (size_t i = 0; i < r.events.size(); ++i) {
    EXPECT_EQ(EventToJson(again.events[i]), EventToJson(r.events[i]));
  }
  // Once a later line shows it leave, the message is emitted as delivered, not queued.
  auto more = lines;
  more.push_back(
      "Dec  6 21:20:00 mx postfix/smtp[603]: 4QQ1A2B3C: to=<z@blocked.example>, "
      "relay=mx.blocked.example[203.0.113.20]:25, dsn=2.0.0, status=sent (250 ok)");
  more.push_back("Dec  6 21:20:00 mx postfix/qmgr[602]: 4QQ1A2B3C: removed");
  auto later = IngestLines(more);
  auto later_msgs = later.Of(EventKind::kMessage);
  ASSERT_EQ(later_msgs.size(), 2u);
  EXPECT_EQ(later_msgs[0].queue_id, "4QQ1A2B3C");
  EXPECT_TRUE(later_msgs[0].state.empty());
  EXPECT_EQ(later_msgs[1].state, "queued");  // 4QQ3A2B3C is still held
}

// A log rotated while a message waited in the queue: the later file has only its end. Its
// message event says so (`continued`), so detect can join it to the earlier file's queued record;
// a message whose start is in the input, or a bounce made in it, is not continued.
TEST(PostfixRejections, AMessageWhoseStartIsInAnEarlierFileIsContinued) {
  auto r = IngestLines({
      "Dec  6 22:00:00 mx postfix/smtp[603]: 4QQ1A2B3C: to=<z@blocked.example>, "
      "relay=mx.blocked.example[203.0.113.20]:25, dsn=2.0.0, status=sent (250 ok)",
      "Dec  6 22:00:00 mx postfix/qmgr[602]: 4QQ1A2B3C: removed",
      // Still deferred in this file too: queued, and continued.
      "Dec  6 22:00:01 mx postfix/qmgr[602]: 4QQ5A2B3C: from=<a@lab.example>, size=10, nrcpt=1 "
      "(queue active)",
      "Dec  6 22:00:02 mx postfix/smtp[603]: 4QQ5A2B3C: to=<y@far.example>, relay=none, "
      "delay=9, dsn=4.4.1, status=deferred (connect to far.example[192.0.2.1]:25: refused)",
      // Whole messages: submitted, picked up, and a bounce cleanup made.
      "Dec  6 22:01:00 mx postfix/smtpd[604]: 4QQ6A2B3C: client=ws.example[192.0.2.60]",
      "Dec  6 22:01:00 mx postfix/cleanup[601]: 4QQ6A2B3C: message-id=<q6@lab.example>",
      "Dec  6 22:01:00 mx postfix/qmgr[602]: 4QQ6A2B3C: from=<a@lab.example>, size=10, nrcpt=1 "
      "(queue active)",
      "Dec  6 22:01:01 mx postfix/local[605]: 4QQ6A2B3C: to=<b@lab.example>, relay=local, "
      "dsn=2.0.0, status=sent (delivered to mailbox)",
      "Dec  6 22:01:01 mx postfix/qmgr[602]: 4QQ6A2B3C: removed",
      "Dec  6 22:02:00 mx postfix/pickup[606]: 4QQ7A2B3C: uid=0 from=<root>",
      "Dec  6 22:02:00 mx postfix/cleanup[601]: 4QQ7A2B3C: message-id=<q7@lab.example>",
      "Dec  6 22:02:00 mx postfix/qmgr[602]: 4QQ7A2B3C: from=<root@lab.example>, size=10, "
      "nrcpt=1 (queue active)",
      "Dec  6 22:02:00 mx postfix/qmgr[602]: 4QQ7A2B3C: removed",
      "Dec  6 22:03:00 mx postfix/cleanup[601]: 4QQ8A2B3C: message-id=<b8@lab.example>",
      "Dec  6 22:03:00 mx postfix/bounce[607]: 4QQ6A2B3C: sender non-delivery notification: "
      "4QQ8A2B3C",
      "Dec  6 22:03:00 mx postfix/qmgr[602]: 4QQ8A2B3C: from=<>, size=10, nrcpt=1 (queue active)",
      "Dec  6 22:03:00 mx postfix/qmgr[602]: 4QQ8A2B3C: removed",
      // Only its removal is in this file.
      "Dec  6 22:04:00 mx postfix/qmgr[602]: 4QQ9A2B3C: removed",
  });
  auto messages = r.Of(EventKind::kMessage);
  ASSERT_EQ(messages.size(), 6u);
  std::map<std::string, const Event*> by_id;
  for (const auto& m : messages) by_id[m.queue_id] = &m;
  ASSERT_EQ(by_id.size(), 6u);
  EXPECT_EQ(by_id["4QQ9A2B3C"]->continued, true);
  EXPECT_TRUE(by_id["4QQ9A2B3C"]->recipients.empty());
  EXPECT_EQ(by_id["4QQ1A2B3C"]->continued, true);
  EXPECT_TRUE(by_id["4QQ1A2B3C"]->state.empty());
  EXPECT_EQ(by_id["4QQ1A2B3C"]->recipients, std::vector<std::string>{"z@blocked.example"});
  EXPECT_EQ(by_id["4QQ5A2B3C"]->continued, true);
  EXPECT_EQ(by_id["4QQ5A2B3C"]->state, "queued");
  for (const char* whole : {"4QQ6A2B3C", "4QQ7A2B3C", "4QQ8A2B3C"}) {
    EXPECT_FALSE(by_id[whole]->continued.has_value()) << whole;
  }
  EXPECT_NE(EventToJson(*by_id["4QQ1A2B3C"]).find("\"continued\":true"), std::string::npos);
  EventReader reader;
  Event back;
  ASSERT_TRUE(reader.Parse(EventToJson(*by_id["4QQ1A2B3C"]), &back).ok());
  EXPECT_EQ(back.continued, true);
}

// header_checks INFO and WARN lines name a header of the queue id's message: To, Cc, From and
// Subject go into its message event (as Postfix logged them; a Subject in encoded words is left
// out, the field being decoded text).
TEST(PostfixRejections, HeaderCheckInfoLinesGiveTheMessagesToAndCc) {
  auto r = IngestLines({
      "Dec  6 22:10:00 mx postfix/smtpd[700]: 4QH1A2B3C: client=ws.example[192.0.2.60]",
      "Dec  6 22:10:00 mx postfix/cleanup[701]: 4QH1A2B3C: info: header To: bob@lab.example "
      "from ws.example[192.0.2.60]; from=<alice@lab.example> to=<bob@lab.example> proto=ESMTP "
      "helo=<ws>",
      "Dec  6 22:10:00 mx postfix/cleanup[701]: 4QH1A2B3C: message-id=<h1@lab.example>",
      "Dec  6 22:10:00 mx postfix/cleanup[701]: 4QH1A2B3C: info: header Cc: \"Doe, Jo\" "
      "<jo@lab.example>, Carol from Sales <carol@lab.example> from ws.example[192.0.2.60]; "
      "from=<alice@lab.example> to=<bob@lab.example> proto=ESMTP helo=<ws>",
      "Dec  6 22:10:00 mx postfix/cleanup[701]: 4QH1A2B3C: warning: header From: Alice "
      "<alice@lab.example> from ws.example[192.0.2.60]; from=<alice@lab.example> "
      "to=<bob@lab.example> proto=ESMTP helo=<ws>: checked",
      "Dec  6 22:10:00 mx postfix/cleanup[701]: 4QH1A2B3C: info: header Subject: =?UTF-8?B?w6k=?= "
      "from ws.example[192.0.2.60]; from=<alice@lab.example> to=<bob@lab.example> proto=ESMTP "
      "helo=<ws>",
      // Cut: no "; from=<" tail. Ignored.
      "Dec  6 22:10:00 mx postfix/cleanup[701]: 4QH1A2B3C: info: header Cc: x@y.example",
      "Dec  6 22:10:00 mx postfix/qmgr[702]: 4QH1A2B3C: from=<alice@lab.example>, size=10, "
      "nrcpt=1 (queue active)",
      "Dec  6 22:10:01 mx postfix/qmgr[702]: 4QH1A2B3C: removed",
  });
  auto messages = r.Of(EventKind::kMessage);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].to, std::vector<std::string>{"bob@lab.example"});
  EXPECT_EQ(messages[0].cc, (std::vector<std::string>{"\"Doe, Jo\" <jo@lab.example>",
                                                      "Carol from Sales <carol@lab.example>"}));
  EXPECT_EQ(messages[0].header_from, "Alice <alice@lab.example>");
  EXPECT_TRUE(messages[0].subject.empty());
  EXPECT_EQ(Ip(messages[0]), "192.0.2.60");
}

TEST(PostfixRejections, ConnectionLevelLinesAreSessionEvents) {
  auto r = IngestLines({
      "Dec  6 21:14:00 mx postfix/smtpd[700]: connect from unknown[192.0.2.100]",
      "Dec  6 21:14:01 mx postfix/smtpd[700]: lost connection after AUTH from "
      "unknown[192.0.2.100]",
      "Dec  6 21:14:01 mx postfix/smtpd[700]: disconnect from unknown[192.0.2.100] ehlo=1 "
      "auth=0/1 commands=1/2",
      "Dec  6 21:14:02 mx postfix/smtpd[701]: connect from unknown[192.0.2.101]",
      "Dec  6 21:14:02 mx postfix/smtpd[701]: SSL_accept error from unknown[192.0.2.101]: -1",
      "Dec  6 21:14:02 mx postfix/smtpd[701]: lost connection after STARTTLS from "
      "unknown[192.0.2.101]",
      "Dec  6 21:14:02 mx postfix/smtpd[701]: disconnect from unknown[192.0.2.101] ehlo=1 "
      "starttls=0/1 commands=1/2",
      "Dec  6 21:14:03 mx postfix/smtpd[702]: timeout after EHLO from unknown[192.0.2.102]",
      "Dec  6 21:14:03 mx postfix/smtpd[702]: disconnect from unknown[192.0.2.102] ehlo=1 "
      "commands=1",
      "Dec  6 21:15:00 mx postfix/anvil[703]: statistics: max connection rate 12/60s for "
      "(smtp:192.0.2.100) at Dec  6 21:14:00",
      "Dec  6 21:15:00 mx postfix/anvil[703]: statistics: max connection count 3 for "
      "(smtp:192.0.2.100) at Dec  6 21:14:00",
      "Dec  6 21:15:00 mx postfix/anvil[703]: statistics: max cache size 2 at Dec  6 21:14:00",
  });
  auto ends = r.Of(EventKind::kSessionEnd);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends[0].state, "reset");  // lost connection after AUTH
  EXPECT_EQ(ends[0].text, "ehlo=1 auth=0/1 commands=1/2");
  EXPECT_EQ(ends[1].state, "reset");
  EXPECT_EQ(ends[2].state, "timeout");
  EXPECT_EQ(Ip(ends[2]), "192.0.2.102");
  auto replies = r.Of(EventKind::kReply);
  bool tls_failure = false;
  for (const Event& e : replies) {
    if (e.text == "TLS handshake failed") {
      tls_failure = true;
      EXPECT_EQ(Ip(e), "192.0.2.101");
      EXPECT_EQ(e.command, "STARTTLS");
    }
  }
  EXPECT_TRUE(tls_failure);
  // anvil's statistics: the peak rate and count of a client, as a session-level record.
  std::vector<Event> anvil;
  for (const Event& e : r.events) {
    if (e.reason == "anvil statistics") anvil.push_back(e);
  }
  ASSERT_EQ(anvil.size(), 2u);
  EXPECT_EQ(Ip(anvil[0]), "192.0.2.100");
  EXPECT_EQ(anvil[0].text, "max connection rate 12/60s");
  EXPECT_EQ(anvil[0].protocol, "smtp");
  EXPECT_EQ(anvil[1].text, "max connection count 3");
}

}  // namespace
}  // namespace mxir::logs
