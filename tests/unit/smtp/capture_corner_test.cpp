// Capture corner cases real servers and clients produce: a refused nested MAIL, Cc headers, a
// capture cut off inside DATA, and AUTH after a malformed multi-line EHLO reply.
#include <gtest/gtest.h>

#include "session_harness.h"

namespace mxir::smtp::testing {
namespace {

constexpr char kUserB64[] = "YWxpY2VAZXhhbXBsZS5jb20=";  // alice@example.com
constexpr char kPassB64[] = "V2ludGVyMjAyNCE=";          // Winter2024!

std::vector<Step> Envelope(std::vector<Step> tail) {
  std::vector<Step> steps = {S("220 mx ESMTP\r\n"), C("EHLO h\r\n"),
                             S("250-mx\r\n250 8BITMIME\r\n")};
  for (Step& s : tail) steps.push_back(std::move(s));
  return steps;
}

TEST(CaptureCorners, RefusedNestedMailKeepsTheAcceptedSender) {
  const Output out = RunSession(
      Envelope({C("MAIL FROM:<alice@example.org>\r\n"), S("250 2.1.0 Ok\r\n"),
                C("RCPT TO:<carol@example.com>\r\n"), S("250 2.1.5 Ok\r\n"),
                C("MAIL FROM:<bob@example.net>\r\n"), S("503 5.5.1 Error: nested MAIL command\r\n"),
                C("RCPT TO:<dave@example.com>\r\n"), S("250 2.1.5 Ok\r\n"), C("DATA\r\n"),
                S("354 go\r\n"), C("Subject: s\r\n\r\nbody\r\n.\r\n"),
                S("250 2.0.0 Ok: queued\r\n"), C("QUIT\r\n"), S("221 bye\r\n")}));
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->mail_from, "alice@example.org");
  EXPECT_EQ(msg->recipients, (std::vector<std::string>{"carol@example.com", "dave@example.com"}));
  const auto mails = out.All(EventKind::kMail);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1]->mail_from, "bob@example.net");  // the attempt itself is still recorded
  EXPECT_EQ(*mails[1]->code, 503);
}

TEST(CaptureCorners, RefusedNestedMailPipelined) {
  // PIPELINING: every command goes out before the first reply comes back.
  const Output out = RunSession(
      Envelope({C("MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.com>\r\n"
                  "MAIL FROM:<bob@example.net>\r\nRCPT TO:<dave@example.com>\r\nDATA\r\n"),
                S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n503 5.5.1 Error: nested MAIL command\r\n"
                  "250 2.1.5 Ok\r\n354 go\r\n"),
                C("Subject: s\r\n\r\nbody\r\n.\r\n"), S("250 2.0.0 Ok: queued\r\n")}));
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->mail_from, "alice@example.org");
  EXPECT_EQ(msg->recipients, (std::vector<std::string>{"carol@example.com", "dave@example.com"}));
}

TEST(CaptureCorners, RefusedFirstMailThenAcceptedOne) {
  const Output out = RunSession(
      Envelope({C("MAIL FROM:<spoof@example.com>\r\n"), S("553 5.7.1 Sender address rejected\r\n"),
                C("MAIL FROM:<alice@example.org>\r\n"), S("250 2.1.0 Ok\r\n"),
                C("RCPT TO:<carol@example.com>\r\n"), S("250 2.1.5 Ok\r\n"), C("DATA\r\n"),
                S("354 go\r\n"), C("\r\nbody\r\n.\r\n"), S("250 2.0.0 Ok\r\n"),
                // After the message: a refused MAIL does not bring the finished transaction back.
                C("MAIL FROM:<eve@example.com>\r\n"), S("553 5.7.1 Sender address rejected\r\n"),
                C("RCPT TO:<x@example.com>\r\n"), S("503 5.5.1 need MAIL\r\n"), C("DATA\r\n"),
                S("503 5.5.1 need RCPT\r\n")}));
  const auto msgs = out.All(EventKind::kMessage);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->mail_from, "alice@example.org");
  EXPECT_EQ(msgs[0]->recipients, std::vector<std::string>{"carol@example.com"});
}

TEST(CaptureCorners, CcHeadersInEveryShape) {
  const Output out = RunSession(Envelope(
      {C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"),
       C("DATA\r\n"), S("354 go\r\n"),
       C("From: a@x.org\r\ncc: Carol <c@z.org>,\r\n\t\"Doe, D\" <d@z.org>\r\nCC: e@z.org\r\n"
         "Subject: s\r\n\r\nbody\r\n.\r\n"),
       S("250 ok\r\n")}));
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->cc,
            (std::vector<std::string>{"Carol <c@z.org>", "\"Doe, D\" <d@z.org>", "e@z.org"}));
  EXPECT_NE(out.events_jsonl.find("\"cc\":[\"Carol <c@z.org>\""), std::string::npos);
}

TEST(CaptureCorners, CaptureCutInsideDataGivesATruncatedMessage) {
  const Output out = RunSession(Envelope(
      {C("MAIL FROM:<alice@example.org>\r\n"), S("250 ok\r\n"),
       C("RCPT TO:<carol@example.com>\r\n"), S("250 ok\r\n"), C("RCPT TO:<x@example.com>\r\n"),
       S("550 no such user\r\n"), C("DATA\r\n"), S("354 go\r\n"),
       C("Subject: cut\r\nMessage-ID: <cut@example.org>\r\nCc: c@z.org\r\n\r\n"
         "first body line\r\n")}));
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  ASSERT_TRUE(msg->truncated.has_value());
  EXPECT_TRUE(*msg->truncated);
  EXPECT_EQ(msg->mail_from, "alice@example.org");
  EXPECT_EQ(msg->recipients, std::vector<std::string>{"carol@example.com"});
  EXPECT_EQ(msg->subject, "cut");
  EXPECT_EQ(msg->msg_id, "<cut@example.org>");
  EXPECT_EQ(msg->cc, std::vector<std::string>{"c@z.org"});
  EXPECT_EQ(*msg->size, 77);  // the bytes of the body seen so far
  EXPECT_FALSE(msg->code.has_value());
  EXPECT_FALSE(msg->accepted.has_value());
  EXPECT_NE(out.events_jsonl.find("\"truncated\":true"), std::string::npos);
  // The message comes before the end of the session.
  EXPECT_EQ(out.events.back().kind, EventKind::kSessionEnd);
}

TEST(CaptureCorners, CaptureCutInsideHeadersAndBdat) {
  Output out = RunSession(Envelope({C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"),
                                    C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                                    S("354 go\r\n"), C("Subject: half\r\nFrom: a@x.o")}));
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_TRUE(msg->truncated.value_or(false));
  EXPECT_EQ(msg->subject, "half");
  out = RunSession(
      Envelope({C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"),
                S("250 ok\r\n"), C("BDAT 100 LAST\r\nSubject: chunk\r\n\r\nabc")}));
  msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_TRUE(msg->truncated.value_or(false));
  EXPECT_EQ(msg->subject, "chunk");
  EXPECT_EQ(msg->recipients, std::vector<std::string>{"b@y.org"});
  // A whole message is not truncated; a DATA the server refused gives no message at all.
  out = RunSession(Envelope({C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"),
                             C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                             S("354 go\r\n"), C("Subject: whole\r\n\r\n.\r\n")}));
  msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_FALSE(msg->truncated.has_value());
  out = RunSession(Envelope({C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                             S("503 need RCPT\r\n"), C("Subject: x\r\n")}));
  EXPECT_EQ(out.First(EventKind::kMessage), nullptr);
}

// The EHLO reply variants broken servers and middleboxes send.
const char* const kBrokenEhloReplies[] = {
    "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250-8BITMIME\r\n",  // never terminated
    "250 mx\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n",  // terminated too early
    "250-mx\r\n250 AUTH LOGIN\r\n250 8BITMIME\r\n",        // one line too many
    "250-mx\r\nAUTH LOGIN PLAIN\r\n250 8BITMIME\r\n",      // a line without a code
    "250-mx\r\n220-AUTH LOGIN\r\n250 8BITMIME\r\n",        // a line with another code
    "250-mx\r\n250-AUTH LOGIN\n250 8BITMIME\n",            // bare line feeds
    "250-mx\r\n250-AUTH LOGIN\r\n250-\r\n250\r\n",         // empty lines
};

TEST(CaptureCorners, AuthLoginUserSurvivesABrokenEhloReply) {
  for (const char* reply : kBrokenEhloReplies) {
    SCOPED_TRACE(reply);
    // The server's reply may arrive before the client's AUTH or together with its answer.
    for (bool late : {false, true}) {
      std::vector<Step> steps = {S("220 mx ESMTP\r\n"), C("EHLO h\r\n")};
      if (!late) steps.push_back(S(reply));
      steps.push_back(C("AUTH LOGIN\r\n"));
      if (late) steps.push_back(S(reply));
      for (Step s :
           {S("334 VXNlcm5hbWU6\r\n"), C(std::string(kUserB64) + "\r\n"), S("334 UGFzc3dvcmQ6\r\n"),
            C(std::string(kPassB64) + "\r\n"), S("235 2.7.0 Authentication successful\r\n"),
            C("MAIL FROM:<alice@example.com>\r\n"), S("250 ok\r\n")}) {
        steps.push_back(std::move(s));
      }
      const Output out = RunSession(steps);
      const auto auths = out.All(EventKind::kAuth);
      ASSERT_EQ(auths.size(), 1u) << "late=" << late << "\n" << out.events_jsonl;
      EXPECT_EQ(auths[0]->user, "alice@example.com") << "late=" << late;
      EXPECT_EQ(auths[0]->outcome, "success") << "late=" << late;
      EXPECT_EQ(auths[0]->secret_fp, TestFingerprinter().Fingerprint("Winter2024!"));
    }
  }
}

}  // namespace
}  // namespace mxir::smtp::testing
