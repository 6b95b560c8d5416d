// SmtpSession end to end on crafted conversations: every protocol feature, its events and its
// Zeek rows.
#include <set>

#include <gtest/gtest.h>

#include "session_harness.h"

namespace mxir::smtp::testing {
namespace {

using stream::Direction;

const std::vector<Step> kBasic = {
    S("220 mx.example.com ESMTP ready\r\n"),
    C("EHLO client.example.org\r\n"),
    S("250-mx.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
    C("MAIL FROM:<alice@example.org> SIZE=300\r\n"),
    S("250 2.1.0 Ok\r\n"),
    C("RCPT TO:<bob@example.com>\r\n"),
    S("250 2.1.5 Ok\r\n"),
    C("RCPT TO:<nobody@example.com>\r\n"),
    S("550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n"),
    C("DATA\r\n"),
    S("354 End data with <CR><LF>.<CR><LF>\r\n"),
    C("Received: from a.example.org ([203.0.113.5]) by b.example.org\r\n"
      "Received: from c.example.org ([203.0.113.7])\r\n\tby a.example.org\r\n"
      "From: \"Alice\" <alice@example.org>\r\n"
      "To: Bob <bob@example.com>, \"Doe, Jane\" <jane@example.com>\r\n"
      "Subject: =?UTF-8?B?SGVsbG8g4oKs?= =?ISO-8859-1?Q?caf=E9?=\r\n"
      " folded\r\n"
      "Message-ID: <m1@example.org>\r\n"
      "X-Mailer: TestMailer 1.0\r\n"
      "\r\n"
      "Body line\r\n"
      "..dot-stuffed\r\n"
      ".\r\n"),
    S("250 2.0.0 Ok: queued as ABC123\r\n"),
    C("QUIT\r\n"),
    S("221 2.0.0 Bye\r\n"),
};

TEST(SmtpSession, BasicTransactionEvents) {
  const Output out = RunSession(kBasic);
  ASSERT_NE(out.First(EventKind::kSessionStart), nullptr);
  const Event* helo = out.First(EventKind::kHelo);
  ASSERT_NE(helo, nullptr);
  EXPECT_EQ(helo->helo, "client.example.org");
  EXPECT_TRUE(*helo->esmtp);
  const Event* mail = out.First(EventKind::kMail);
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->mail_from, "alice@example.org");
  EXPECT_EQ(*mail->code, 250);
  const auto rcpts = out.All(EventKind::kRcpt);
  ASSERT_EQ(rcpts.size(), 2u);
  EXPECT_TRUE(*rcpts[0]->accepted);
  EXPECT_EQ(rcpts[1]->rcpt_to, "nobody@example.com");
  EXPECT_FALSE(*rcpts[1]->accepted);
  EXPECT_EQ(*rcpts[1]->code, 550);
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->recipients, std::vector<std::string>{"bob@example.com"});
  EXPECT_TRUE(*msg->accepted);
  EXPECT_EQ(*msg->code, 250);
  EXPECT_EQ(msg->subject,
            "Hello \xE2\x82\xAC"
            "caf\xC3\xA9 folded");
  EXPECT_EQ(msg->header_from, "\"Alice\" <alice@example.org>");
  EXPECT_EQ(msg->to, (std::vector<std::string>{"Bob <bob@example.com>",
                                               "\"Doe, Jane\" <jane@example.com>"}));
  EXPECT_EQ(msg->msg_id, "<m1@example.org>");
  EXPECT_EQ(msg->user_agent, "TestMailer 1.0");
  ASSERT_EQ(msg->received.size(), 2u);
  EXPECT_EQ(msg->received[0], "from a.example.org ([203.0.113.5]) by b.example.org");
  // Size: every body line plus CRLF after dot-unstuffing, without the final ".".
  const std::string body_start = "Received: from a.example.org";
  EXPECT_GT(*msg->size, 300);
  // The rejected recipient is covered by its rcpt event: no separate reply event.
  EXPECT_EQ(out.First(EventKind::kReply), nullptr);
  const Event* end = out.First(EventKind::kSessionEnd);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->state, "closed");
  EXPECT_EQ(*end->gaps, 0);
  EXPECT_EQ(out.events.back().kind, EventKind::kSessionEnd);
  // Every event is tied to its packet, with distinct indexes within a packet.
  for (const Event& e : out.events) {
    EXPECT_GE(e.origin.packet, 1);
    EXPECT_EQ(e.origin.file, "test.pcap");
    EXPECT_EQ(e.session, "Ctest");
    EXPECT_EQ(e.protocol, "smtp");
  }
}

// Events made at the end of a connection keep the session's own last packet: the end may be
// triggered by another connection's packet, and (packet, index, kind) must stay unique.
TEST(SmtpSession, EndEventsUseTheSessionsOwnPacket) {
  const Output out = RunSession({C("EHLO h\r\n"), C("MAIL FROM:<a@x.org>\r\n")});
  const Event* end = out.First(EventKind::kSessionEnd);
  const Event* mail = out.First(EventKind::kMail);
  ASSERT_NE(end, nullptr);
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(end->origin.packet, 3);  // the MAIL's packet, not the end packet (4)
  EXPECT_EQ(mail->origin.packet, 3);
  EXPECT_NE(end->origin.index, mail->origin.index);
  std::set<std::pair<int64_t, int>> seen;
  for (const Event& e : RunSession(kBasic).events) {
    EXPECT_TRUE(seen.insert({e.origin.packet, e.origin.index}).second);
  }
}

TEST(SmtpSession, DotUnstuffingCountsSize) {
  const Output out =
      RunSession({S("220 x\r\n"), C("HELO h\r\n"), S("250 ok\r\n"), C("MAIL FROM:<a@b>\r\n"),
                  S("250 ok\r\n"), C("RCPT TO:<c@d>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                  S("354 go\r\n"), C("Subject: s\r\n\r\n..x\r\n.\r\n"), S("250 ok\r\n")});
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(*msg->size, 12 + 2 + 4);  // "Subject: s", "", "..x" unstuffed to ".x"
  EXPECT_EQ(msg->subject, "s");
}

TEST(SmtpSession, BasicZeekRow) {
  const Output out = RunSession(kBasic);
  ASSERT_EQ(out.rows.size(), 1u);
  const ZeekSmtpRecord& r = out.rows[0];
  EXPECT_EQ(r.trans_depth, 1u);
  EXPECT_EQ(*r.helo, "client.example.org");
  EXPECT_EQ(*r.mailfrom, "alice@example.org");
  EXPECT_EQ(*r.rcptto, (std::vector<std::string>{"bob@example.com", "nobody@example.com"}));
  EXPECT_EQ(*r.subject, "=?UTF-8?B?SGVsbG8g4oKs?= =?ISO-8859-1?Q?caf=E9?= folded");  // raw
  // Zeek's split_mime_email_addresses only honours a quoted name at the start of a match, so
  // a quoted comma after a blank splits the name; the Zeek column keeps that behaviour.
  EXPECT_EQ(*r.to, (std::vector<std::string>{"Bob <bob@example.com>", "\"Doe",
                                             "Jane\" <jane@example.com>"}));
  EXPECT_EQ(*r.first_received, "from c.example.org ([203.0.113.7])\tby a.example.org");
  EXPECT_EQ(*r.second_received, "from a.example.org ([203.0.113.5]) by b.example.org");
  ASSERT_EQ(r.path.size(), 4u);
  EXPECT_EQ(r.path[2].ToString(), "203.0.113.5");
  EXPECT_EQ(r.path[3].ToString(), "203.0.113.7");
  EXPECT_EQ(*r.last_reply, "250 2.0.0 Ok: queued as ABC123");  // QUIT's 221 goes to the next row
  EXPECT_EQ(*r.user_agent, "TestMailer 1.0");
  EXPECT_FALSE(r.tls);
  EXPECT_FALSE(r.cc.has_value());
}

TEST(SmtpSession, OnlyTopLevelHeadersCount) {
  const Output out = RunSession(
      {S("220 x\r\n"), C("HELO h\r\n"), S("250 ok\r\n"), C("MAIL FROM:<a@x.org>\r\n"),
       S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"), S("354 go\r\n"),
       C("Subject: outer\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nCc: c@z.org, d@z.org\r\n"
         "Reply-To: r@x.org\r\nIn-Reply-To: <p@x.org>\r\nX-Originating-IP: [198.51.100.20]\r\n"
         "User-Agent: UA/2\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
         "--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: evil@x.org\r\n\r\n"
         "text\r\n--B--\r\n.\r\n"),
       S("250 ok\r\n")});
  ASSERT_EQ(out.rows.size(), 1u);
  const ZeekSmtpRecord& r = out.rows[0];
  EXPECT_EQ(*r.subject, "outer");
  EXPECT_FALSE(r.from.has_value());  // the attached message's From is not the message's
  EXPECT_EQ(*r.date, "Mon, 1 Jan 2024 10:00:00 +0000");
  EXPECT_EQ(*r.cc, (std::vector<std::string>{"c@z.org", "d@z.org"}));
  EXPECT_EQ(*r.reply_to, "r@x.org");
  EXPECT_EQ(*r.in_reply_to, "<p@x.org>");
  EXPECT_EQ(r.x_originating_ip->ToString(), "198.51.100.20");
  EXPECT_EQ(*r.user_agent, "UA/2");
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->subject, "outer");
  EXPECT_TRUE(msg->header_from.empty());
  EXPECT_EQ(msg->cc, (std::vector<std::string>{"c@z.org", "d@z.org"}));
  EXPECT_EQ(msg->x_originating_ip, "198.51.100.20");
  EXPECT_EQ(msg->user_agent, "UA/2");
}

TEST(SmtpSession, PipelinedCommandsPairWithReplies) {
  const Output out = RunSession({
      S("220 x ESMTP\r\n"),
      C("EHLO h\r\n"),
      S("250-x\r\n250 PIPELINING\r\n"),
      C("MAIL FROM:<a@example.org>\r\nRCPT TO:<r1@example.com>\r\nRCPT TO:<r2@example.com>\r\n"
        "RCPT TO:<r3@example.com>\r\nDATA\r\n"),
      S("250 ok\r\n250 ok\r\n450 4.2.0 try later\r\n250 ok\r\n354 go\r\n"),
      C("Subject: p\r\n\r\nhi\r\n.\r\nQUIT\r\n"),
      S("250 queued\r\n221 bye\r\n"),
  });
  const auto rcpts = out.All(EventKind::kRcpt);
  ASSERT_EQ(rcpts.size(), 3u);
  EXPECT_EQ(*rcpts[0]->code, 250);
  EXPECT_EQ(*rcpts[1]->code, 450);
  EXPECT_EQ(rcpts[1]->rcpt_to, "r2@example.com");
  EXPECT_EQ(*rcpts[2]->code, 250);
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->recipients, (std::vector<std::string>{"r1@example.com", "r3@example.com"}));
  EXPECT_EQ(*msg->code, 250);
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(*out.rows[0].last_reply, "250 queued");
}

TEST(SmtpSession, TwoTransactionsGiveTwoRowsWithDepth) {
  const Output out = RunSession({
      S("220 x\r\n"),      C("HELO h\r\n"),
      S("250 ok\r\n"),     C("MAIL FROM:<a@x.org>\r\n"),
      S("250 ok\r\n"),     C("RCPT TO:<b@y.org>\r\n"),
      S("250 ok\r\n"),     C("DATA\r\n"),
      S("354 go\r\n"),     C("Subject: one\r\n\r\n.\r\n"),
      S("250 first\r\n"),  C("RSET\r\n"),
      S("250 reset\r\n"),  C("MAIL FROM:<c@x.org>\r\n"),
      S("250 ok\r\n"),     C("RCPT TO:<d@y.org>\r\n"),
      S("250 ok\r\n"),     C("DATA\r\n"),
      S("354 go\r\n"),     C("Subject: two\r\n\r\n.\r\n"),
      S("250 second\r\n"), C("QUIT\r\n"),
      S("221 bye\r\n"),
  });
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].trans_depth, 1u);
  EXPECT_EQ(*out.rows[0].subject, "one");
  EXPECT_EQ(out.rows[1].trans_depth, 2u);
  EXPECT_EQ(*out.rows[1].mailfrom, "c@x.org");
  EXPECT_EQ(*out.rows[1].subject, "two");
  EXPECT_EQ(*out.rows[1].helo, "h");  // carried over
  // The second row opens at the reply that closed the first transaction.
  EXPECT_EQ(out.rows[1].ts, Timestamp::FromSeconds(1700000000) + 11 * 1000);
  const auto msgs = out.All(EventKind::kMessage);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]->mail_from, "c@x.org");
  EXPECT_EQ(msgs[1]->recipients, std::vector<std::string>{"d@y.org"});
}

TEST(SmtpSession, NoRowWithoutClientActivity) {
  const Output out = RunSession(
      {S("220 x\r\n"), C("EHLO h\r\n"), S("250 ok\r\n"), C("QUIT\r\n"), S("221 bye\r\n")});
  EXPECT_TRUE(out.rows.empty());
}

TEST(SmtpSession, OneSidedTraceKeepsDepthOne) {
  const Output out = RunSession({
      C("ehlo h\r\n"),
      C("mail FROM:<a@x.org>\r\n"),
      C("rcpt TO:<b@y.org>\r\n"),
      C("data\r\n"),
      C("Subject: one\r\n\r\nbody\r\n.\r\n"),
      C("mail FROM:<a@x.org>\r\n"),
      C("rcpt TO:<c@y.org>\r\n"),
      C("data\r\n"),
      C("Subject: two\r\n\r\n.\r\n"),
      C("quit\r\n"),
  });
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].trans_depth, 1u);
  EXPECT_EQ(out.rows[1].trans_depth, 1u);
  EXPECT_FALSE(out.rows[0].last_reply.has_value());
  EXPECT_EQ(*out.rows[1].subject, "two");
  const auto msgs = out.All(EventKind::kMessage);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_FALSE(msgs[0]->code.has_value());  // never answered
  EXPECT_EQ(msgs[0]->recipients, std::vector<std::string>{"b@y.org"});
}

TEST(SmtpSession, BdatChunksWithLast) {
  const std::string c1 = "Subject: chunked\r\nFrom: a@x.org\r\n";
  const std::string c2 = "\r\nbody\r\n";
  const Output out = RunSession({
      S("220 x\r\n"),
      C("EHLO h\r\n"),
      S("250-x\r\n250 CHUNKING\r\n"),
      C("MAIL FROM:<a@x.org>\r\n"),
      S("250 ok\r\n"),
      C("RCPT TO:<b@y.org>\r\n"),
      S("250 ok\r\n"),
      C("BDAT " + std::to_string(c1.size()) + "\r\n" + c1),
      S("250 chunk\r\n"),
      C("BDAT " + std::to_string(c2.size()) + " LAST\r\n" + c2),
      S("250 2.0.0 queued\r\n"),
      C("QUIT\r\n"),
      S("221 bye\r\n"),
  });
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(*msg->size, static_cast<int64_t>(c1.size() + c2.size()));
  EXPECT_EQ(msg->subject, "chunked");
  EXPECT_EQ(*msg->code, 250);
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(*out.rows[0].subject, "chunked");
  EXPECT_EQ(*out.rows[0].last_reply, "250 2.0.0 queued");
}

TEST(SmtpSession, BdatZeroLastAndInvalidBdat) {
  Output out =
      RunSession({S("220 x\r\n"), C("EHLO h\r\n"), S("250 CHUNKING\r\n"),
                  C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"),
                  S("250 ok\r\n"), C("BDAT 0 LAST\r\n"), S("250 empty ok\r\n")});
  ASSERT_NE(out.First(EventKind::kMessage), nullptr);
  EXPECT_EQ(*out.First(EventKind::kMessage)->size, 0);
  ASSERT_EQ(out.rows.size(), 1u);
  out = RunSession({S("220 x\r\n"), C("EHLO h\r\n"), S("250 CHUNKING\r\n"),
                    C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"),
                    S("250 ok\r\n"), C("BDAT 184467440737095516150 LAST\r\n"),
                    S("521 5.5.4 Syntax: BDAT count [LAST]\r\n"), C("QUIT\r\n")});
  EXPECT_EQ(out.counters.Get("smtp.decode_errors.invalid_bdat"), 1);
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(*out.rows[0].last_reply, "521 5.5.4 Syntax: BDAT count [LAST]");
  const Event* reply = out.First(EventKind::kReply);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(*reply->code, 521);
  EXPECT_EQ(reply->enhanced, "5.5.4");
  EXPECT_EQ(reply->command, "BDAT");
}

TEST(SmtpSession, NotableRepliesBecomeReplyEvents) {
  const Output out =
      RunSession({S("220 x\r\n"), C("EHLO h\r\n"), S("250 ok\r\n"), C("MAIL FROM:<a@x.org>\r\n"),
                  S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                  S("554 5.7.1 Service unavailable; client host blocked using zen\r\n"),
                  C("QUIT\r\n"), S("221 bye\r\n")});
  const Event* reply = out.First(EventKind::kReply);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(*reply->code, 554);
  EXPECT_EQ(reply->enhanced, "5.7.1");
  EXPECT_EQ(reply->command, "DATA");
  EXPECT_NE(reply->text.find("blocked"), std::string::npos);
  EXPECT_EQ(out.First(EventKind::kMessage), nullptr);
  const Output greet = RunSession({S("421 4.7.0 Too many connections, try later\r\n")});
  ASSERT_NE(greet.First(EventKind::kReply), nullptr);
  EXPECT_EQ(*greet.First(EventKind::kReply)->code, 421);
  EXPECT_EQ(greet.First(EventKind::kReply)->command, "CONNECT");
}

TEST(SmtpSession, MultiLineReplyIsOneReply) {
  const Output out = RunSession({S("220-first\r\n220-second\r\n220 third\r\n"), C("EHLO h\r\n"),
                                 S("250-a\r\n250-b\r\n250 c\r\n"), C("MAIL FROM:<a@x.org>\r\n"),
                                 S("550-5.7.1 rejected\r\n550 5.7.1 see policy\r\n")});
  const Event* mail = out.First(EventKind::kMail);
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(*mail->code, 550);  // not confused by the continuation lines before it
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(*out.rows[0].last_reply, "550 5.7.1 see policy");
}

TEST(SmtpSession, StartTlsWithSniAndByteCounting) {
  // A minimal TLS 1.2 ClientHello with server_name "mail.example.com".
  const std::string host = "mail.example.com";
  std::string sni_ext;
  const uint16_t list_len = static_cast<uint16_t>(host.size() + 3);
  sni_ext += std::string("\x00\x00", 2);
  sni_ext += static_cast<char>((list_len + 2) >> 8);
  sni_ext += static_cast<char>((list_len + 2) & 0xff);
  sni_ext += static_cast<char>(list_len >> 8);
  sni_ext += static_cast<char>(list_len & 0xff);
  sni_ext += '\0';
  sni_ext += static_cast<char>(host.size() >> 8);
  sni_ext += static_cast<char>(host.size() & 0xff);
  sni_ext += host;
  std::string body = std::string("\x03\x03", 2) + std::string(32, 'R') + std::string("\x00", 1) +
                     std::string("\x00\x02\x13\x01", 4) + std::string("\x01\x00", 2);
  body += static_cast<char>(sni_ext.size() >> 8);
  body += static_cast<char>(sni_ext.size() & 0xff);
  body += sni_ext;
  std::string hs = std::string("\x01", 1) + '\0' + static_cast<char>(body.size() >> 8) +
                   static_cast<char>(body.size() & 0xff) + body;
  std::string rec = std::string("\x16\x03\x01", 3) + static_cast<char>(hs.size() >> 8) +
                    static_cast<char>(hs.size() & 0xff) + hs;
  const Output out = RunSession({S("220 x\r\n"), C("EHLO h\r\n"), S("250-x\r\n250 STARTTLS\r\n"),
                                 C("STARTTLS\r\n"), S("220 2.0.0 Ready to start TLS\r\n"),
                                 C(rec.substr(0, 20)), C(rec.substr(20)),
                                 S(std::string("\x16\x03\x03\x00\x10", 5) + std::string(16, 'S')),
                                 C("MAIL FROM:<hidden@x.org>\r\n")});
  const Event* tls = out.First(EventKind::kTls);
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->how, "starttls");
  EXPECT_EQ(tls->sni, "mail.example.com");
  EXPECT_EQ(out.First(EventKind::kMail), nullptr);  // encrypted: nothing decoded after STARTTLS
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_TRUE(out.rows[0].tls);
  EXPECT_EQ(*out.rows[0].last_reply, "220 2.0.0 Ready to start TLS");
  const Event* end = out.First(EventKind::kSessionEnd);
  EXPECT_EQ(*end->bytes_c2s, static_cast<int64_t>(8 + 10 + rec.size() + 26));
}

TEST(SmtpSession, ImplicitTlsOnPort465) {
  const Output out =
      RunSession({C(std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10))}, {}, 465);
  const Event* tls = out.First(EventKind::kTls);
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->how, "implicit");
  EXPECT_EQ(tls->protocol, "smtps");
  EXPECT_EQ(out.First(EventKind::kHelo), nullptr);
}

TEST(SmtpSession, GapIsReportedAndDecodingResynchronises) {
  const Output out = RunSession({
      S("220 x\r\n"),
      C("EHLO h\r\n"),
      S("250 ok\r\n"),
      C("MAIL FROM:<a@x.org>\r\n"),
      Gap(Direction::kServerToClient, 8),
      C("RCPT TO:<b@y.org>\r\n"),
      S("250 ok\r\n"),
      C("RSET\r\n"),
      S("250 ok\r\n"),
      C("MAIL FROM:<c@x.org>\r\n"),
      S("250 ok\r\n"),
  });
  const Event* gap = out.First(EventKind::kGap);
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->direction, "s2c");
  EXPECT_EQ(*gap->bytes, 8);
  EXPECT_EQ(*out.First(EventKind::kSessionEnd)->gaps, 1);
  // The RCPT after the gap is not trusted (Zeek waits for the server); MAIL after recovery is.
  const auto mails = out.All(EventKind::kMail);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_FALSE(mails[0]->code.has_value());  // its reply was lost
  EXPECT_EQ(mails[1]->mail_from, "c@x.org");
  EXPECT_EQ(*mails[1]->code, 250);
  EXPECT_EQ(out.counters.Get("smtp.gaps"), 1);
}

TEST(SmtpSession, GapInsideDataDropsTheMessage) {
  const Output out =
      RunSession({S("220 x\r\n"), C("EHLO h\r\n"), S("250 ok\r\n"), C("MAIL FROM:<a@x.org>\r\n"),
                  S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                  S("354 go\r\n"), C("Subject: s\r\n"), Gap(Direction::kClientToServer, 100),
                  C("more\r\n.\r\n"), S("250 queued\r\n"), C("QUIT\r\n"), S("221 bye\r\n")});
  EXPECT_EQ(out.First(EventKind::kMessage), nullptr);
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(*out.rows[0].subject, "s");
}

TEST(SmtpSession, DataCommandLostInGapIsRecoveredBy354) {
  // Zeek's gap recovery: the first reply after a gap answers an unknown command; a 354 means a
  // body follows. The row keeps the envelope from before the gap.
  const Output out = RunSession(
      {S("220 x\r\n"), C("EHLO h\r\n"), S("250 ok\r\n"), C("MAIL FROM:<a@x.org>\r\n"),
       S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"),
       Gap(Direction::kClientToServer, 50), C("DATA\r\n"), S("354 go\r\n"),
       C("Subject: after gap\r\n\r\n.\r\n"), S("250 queued\r\n"), C("QUIT\r\n"), S("221 bye\r\n")});
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(*out.rows[0].mailfrom, "a@x.org");
  EXPECT_EQ(*out.rows[0].subject, "after gap");
  EXPECT_EQ(*out.rows[0].last_reply, "250 queued");
  ASSERT_NE(out.First(EventKind::kMessage), nullptr);
  EXPECT_EQ(*out.First(EventKind::kMessage)->code, 250);
}

TEST(SmtpSession, BrokenMultiLineReplyIsClosed) {
  const Output out = RunSession({S("220 x\r\n"), C("EHLO h\r\n"), C("MAIL FROM:<a@x.org>\r\n"),
                                 S("250-x\r\n250-y\r\n"), S("451 4.3.0 later\r\n")});
  EXPECT_EQ(out.counters.Get("smtp.decode_errors.reply_code_mismatch"), 1);
  const Event* mail = out.First(EventKind::kMail);
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(*mail->code, 451);  // the EHLO reply broke off; the 451 answers MAIL
}

TEST(SmtpSession, InvalidTransactionsAndDisableLimit) {
  std::vector<Step> steps = {S("220 x\r\n"), C("EHLO h\r\n"), S("250 ok\r\n")};
  for (int i = 0; i < 3; ++i) {
    steps.push_back(C("RCPT TO:<r@y.org>\r\n"));
    steps.push_back(S("503 5.5.1 need MAIL\r\n"));
  }
  steps.push_back(C("MAIL FROM:<a@x.org>\r\n"));
  steps.push_back(S("250 ok\r\n"));
  SmtpLimits limits;
  limits.max_invalid_mail_transactions = 2;
  const Output out = RunSession(steps, limits);
  EXPECT_EQ(out.counters.Get("smtp.decode_errors.rcpt_without_mail"), 3);
  EXPECT_EQ(out.counters.Get("smtp.disabled_sessions"), 1);
  ASSERT_EQ(out.rows.size(), 1u);  // the open row is still written; the MAIL is not seen
  EXPECT_FALSE(out.rows[0].mailfrom.has_value());
  const Output normal = RunSession(steps);
  EXPECT_EQ(normal.counters.Get("smtp.disabled_sessions"), 0);
  ASSERT_EQ(normal.rows.size(), 2u);
}

TEST(SmtpSession, LimitsAreCounted) {
  SmtpLimits limits;
  limits.max_line_bytes = 64;
  limits.max_pending_commands = 4;
  std::vector<Step> steps = {C("EHLO " + std::string(200, 'h') + "\r\n")};
  for (int i = 0; i < 10; ++i) steps.push_back(C("NOOP\r\n"));
  const Output out = RunSession(steps, limits);
  EXPECT_EQ(out.counters.Get("smtp.decode_errors.line_too_long"), 1);
  EXPECT_GE(out.counters.Get("smtp.decode_errors.too_many_pending_commands"), 1);
  ASSERT_NE(out.First(EventKind::kHelo), nullptr);
  EXPECT_EQ(out.First(EventKind::kHelo)->helo.size(), 64u - 5);
}

TEST(SmtpSession, GarbageNeverCrashes) {
  uint32_t x = 12345;
  auto next = [&x] {
    x = x * 1103515245u + 12345u;
    return static_cast<char>(x >> 16);
  };
  for (int round = 0; round < 50; ++round) {
    std::vector<Step> steps;
    for (int i = 0; i < 20; ++i) {
      std::string bytes(static_cast<size_t>(next() & 0x7f) + 1, '\0');
      for (char& c : bytes) c = next();
      steps.push_back(i % 2 ? C(bytes) : S(bytes));
      if (i == 7) steps.push_back(C("DATA\r\n"));
      if (i == 11) steps.push_back(C("BDAT 100\r\n"));
    }
    const Output out = RunSession(steps);
    ASSERT_FALSE(out.events.empty());
    EXPECT_EQ(out.events.back().kind, EventKind::kSessionEnd);
  }
}

}  // namespace
}  // namespace mxir::smtp::testing
