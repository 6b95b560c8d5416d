// STARTTLS that was never negotiated (SMTP text after the 220), undeclared 8-bit header text
// (Windows-1252 fallback) and RFC 2047 words in the Japanese charsets.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "session_harness.h"
#include "smtp/text_codecs.h"

namespace mxir::smtp {
namespace {

using testing::C;
using testing::Gap;
using testing::Output;
using testing::RunSession;
using testing::S;
using testing::Step;

const char kHello[] = "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF";  // こんにちは

std::vector<Step> StrippedStartTls() {
  return {S("220 mx ESMTP\r\n"),
          C("EHLO client\r\n"),
          S("250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
          C("STARTTLS\r\n"),
          S("220 2.0.0 Ready to start TLS\r\n"),
          C("EHLO client\r\n"),  // not a ClientHello: the TLS layer is gone
          S("250-mx\r\n250 AUTH PLAIN\r\n"),
          C("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"),  // alice / secret
          S("235 2.7.0 ok\r\n"),
          C("MAIL FROM:<alice@example.org>\r\n"),
          S("250 ok\r\n"),
          C("RCPT TO:<bob@example.net>\r\n"),
          S("250 ok\r\n"),
          C("DATA\r\n"),
          S("354 go\r\n"),
          C("Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n\r\nbody\r\n.\r\n"),
          S("250 queued\r\n"),
          C("QUIT\r\n"),
          S("221 bye\r\n")};
}

void ExpectDecodedAfterStrip(const Output& out) {
  const auto tls = out.All(EventKind::kTls);
  ASSERT_EQ(tls.size(), 1u);
  EXPECT_EQ(tls[0]->how, "starttls-not-negotiated");
  EXPECT_EQ(out.All(EventKind::kHelo).size(), 2u);
  const Event* auth = out.First(EventKind::kAuth);
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->mechanism, "PLAIN");
  EXPECT_EQ(auth->user, "alice");
  EXPECT_EQ(auth->outcome, "success");
  EXPECT_EQ(out.events_jsonl.find("secret\""), std::string::npos);  // never the password
  const Event* mail = out.First(EventKind::kMail);
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->mail_from, "alice@example.org");
  const Event* rcpt = out.First(EventKind::kRcpt);
  ASSERT_NE(rcpt, nullptr);
  EXPECT_EQ(rcpt->rcpt_to, "bob@example.net");
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->subject, kHello);
  EXPECT_EQ(msg->user, "alice");
  EXPECT_EQ(out.counters.Get("smtp.starttls_not_negotiated"), 1);
}

TEST(StartTlsNotNegotiated, PlaintextAfter220IsDecoded) {
  ExpectDecodedAfterStrip(RunSession(StrippedStartTls()));
}

TEST(StartTlsNotNegotiated, ByteByByteGivesTheSameEvents) {
  const std::vector<Step> steps = StrippedStartTls();
  std::vector<std::vector<size_t>> chunks(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) chunks[i].assign(steps[i].bytes.size(), 1);
  const Output whole = RunSession(steps);
  const Output bytewise = RunSession(steps, {}, 25, &chunks);
  ExpectDecodedAfterStrip(bytewise);
  EXPECT_EQ(bytewise.events_jsonl, whole.events_jsonl);
}

TEST(StartTlsNotNegotiated, ClientHelloAfter220StaysTls) {
  // A TLS record header (handshake, TLS 1.0 record version) then encrypted-looking bytes; the
  // "MAIL" text afterwards is inside the TLS stream and must not be decoded.
  const std::string record = std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10);
  for (bool bytewise : {false, true}) {
    std::vector<Step> steps = {S("220 mx\r\n"),
                               C("EHLO h\r\n"),
                               S("250 STARTTLS\r\n"),
                               C("STARTTLS\r\n"),
                               S("220 go ahead\r\n"),
                               C(record),
                               C("MAIL FROM:<hidden@x.org>\r\n")};
    std::vector<std::vector<size_t>> chunks(steps.size());
    if (bytewise) {
      for (size_t i = 0; i < steps.size(); ++i) chunks[i].assign(steps[i].bytes.size(), 1);
    }
    const Output out = RunSession(steps, {}, 25, &chunks);
    const auto tls = out.All(EventKind::kTls);
    ASSERT_EQ(tls.size(), 1u);
    EXPECT_EQ(tls[0]->how, "starttls");
    EXPECT_EQ(out.First(EventKind::kMail), nullptr);
    EXPECT_EQ(out.counters.Get("smtp.starttls_not_negotiated"), 0);
  }
}

// The session up to the 220 answering STARTTLS, then `after` from the client, then a reply and a
// plaintext MAIL that is decoded only when the session was judged not negotiated.
std::vector<Step> AfterStartTls(const std::string& after) {
  return {S("220 mx ESMTP\r\n"),
          C("EHLO client\r\n"),
          S("250-mx\r\n250 STARTTLS\r\n"),
          C("STARTTLS\r\n"),
          S("220 2.0.0 Ready to start TLS\r\n"),
          C(after),
          S("250 ok\r\n"),
          C("MAIL FROM:<seen@x.org>\r\n"),
          S("250 ok\r\n")};
}

// "starttls" or "starttls-not-negotiated", for `after` fed whole and byte by byte (which must
// agree).
std::string HowAfter(const std::string& after) {
  const std::vector<Step> steps = AfterStartTls(after);
  std::vector<std::vector<size_t>> chunks(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) chunks[i].assign(steps[i].bytes.size(), 1);
  const Output whole = RunSession(steps);
  const Output bytewise = RunSession(steps, {}, 25, &chunks);
  EXPECT_EQ(whole.events_jsonl, bytewise.events_jsonl) << after;
  const auto tls = whole.All(EventKind::kTls);
  EXPECT_EQ(tls.size(), 1u) << after;
  if (tls.empty()) return "";
  const bool plain = tls[0]->how == "starttls-not-negotiated";
  // Plaintext decoding goes on exactly when the session was judged not negotiated.
  EXPECT_EQ(whole.First(EventKind::kMail) != nullptr, plain) << after;
  EXPECT_EQ(whole.counters.Get("smtp.starttls_not_negotiated"), plain ? 1 : 0) << after;
  return tls[0]->how;
}

TEST(StartTlsNotNegotiated, OnlyACommandShapedFirstLineIsPlaintext) {
  // Known verbs, any case, with or without arguments, CRLF-terminated.
  for (const char* line :
       {"EHLO client\r\n", "ehlo client\r\n", "HELO x\r\n", "QUIT\r\n", "NOOP\r\n",
        "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", "MAIL FROM:<a@x.org>\r\n", "RSET\r\n"}) {
    EXPECT_EQ(HowAfter(line), "starttls-not-negotiated") << line;
  }
  // Letters first, but not an SMTP command line: stays TLS (nothing after it is decoded).
  for (const char* line :
       {"GET / HTTP/1.1\r\n", "hello there\r\n", "EHLOX\r\n", "Xyzzy\r\n",
        "EHLO client\n",          // a bare LF: not how SMTP ends a command
        "EHLO cl\x01ient\r\n",    // a control byte inside
        "EHLO client\r\x7f\r\n",  // DEL inside
        "EHLO client"}) {         // no line end before the server speaks (its bytes follow)
    EXPECT_EQ(HowAfter(line), "starttls") << line;
  }
  // A long run of letters without a line end: given up after a bounded number of bytes.
  EXPECT_EQ(HowAfter(std::string(5000, 'A') + "\r\n"), "starttls");
  EXPECT_EQ(HowAfter("EHLO " + std::string(3000, 'x') + "\r\n"), "starttls");
}

TEST(StartTlsNotNegotiated, LostClientBytesAfterThe220StayTls) {
  // A gap right after the 220: whatever follows cannot be placed, even if it reads like SMTP.
  std::vector<Step> steps = {
      S("220 mx\r\n"),   C("EHLO h\r\n"),       S("250 STARTTLS\r\n"),
      C("STARTTLS\r\n"), S("220 go ahead\r\n"), Gap(stream::Direction::kClientToServer, 300),
      C("EHLO h\r\n"),   S("250 ok\r\n"),       C("MAIL FROM:<hidden@x.org>\r\n")};
  const Output out = RunSession(steps);
  const auto tls = out.All(EventKind::kTls);
  ASSERT_EQ(tls.size(), 1u);
  EXPECT_EQ(tls[0]->how, "starttls");
  EXPECT_EQ(out.First(EventKind::kMail), nullptr);
  // Held letters when the gap comes: the same.
  steps.insert(steps.begin() + 5, C("EHL"));
  const Output held = RunSession(steps);
  ASSERT_EQ(held.All(EventKind::kTls).size(), 1u);
  EXPECT_EQ(held.All(EventKind::kTls)[0]->how, "starttls");
  EXPECT_EQ(held.First(EventKind::kMail), nullptr);
}

TEST(StartTlsNotNegotiated, SeededFirstLinesAndSplits) {
  // Random first lines: command-shaped ones (a known verb, printable arguments, CRLF) and
  // near misses (an unknown word, a control byte, no CR); random cuts of the bytes.
  std::mt19937 rng(11);
  const std::vector<std::string> verbs = {"EHLO", "helo", "Auth", "MAIL", "rcpt",
                                          "QUIT", "NOOP", "RSET", "VRFY", "STARTTLS"};
  const std::vector<std::string> unknown = {"EHL", "HELLO", "GET",       "USER",
                                            "A1",  "LOGIN", "SSH-2.0-x", "PASS"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto printable = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>(0x21 + rng() % 94);
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    const int shape = static_cast<int>(rng() % 4);
    std::string line;
    bool command = false;
    const std::string arg = rng() % 3 ? " " + printable(rng() % 40) : "";
    switch (shape) {
      case 0:
        line = pick(verbs) + arg + "\r\n";
        command = true;
        break;
      case 1:
        line = pick(unknown) + arg + "\r\n";
        break;
      case 2: {
        line = pick(verbs) + " " + printable(1 + rng() % 20) + "\r\n";
        char control = static_cast<char>(rng() % 0x20);
        if (control == '\t') control = 1;
        line.insert(5 + rng() % (line.size() - 7), 1, control);
        break;
      }
      default:
        line = pick(verbs) + arg + "\n";
        break;
    }
    std::vector<Step> steps = AfterStartTls(line);
    std::vector<std::vector<size_t>> chunks(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      size_t left = steps[i].bytes.size();
      while (left > 0) {
        const size_t n = std::min<size_t>(left, 1 + rng() % 7);
        chunks[i].push_back(n);
        left -= n;
      }
    }
    const Output out = RunSession(steps, {}, 25, &chunks);
    const auto tls = out.All(EventKind::kTls);
    ASSERT_EQ(tls.size(), 1u) << line;
    EXPECT_EQ(tls[0]->how, command ? "starttls-not-negotiated" : "starttls") << line;
    EXPECT_EQ(out.First(EventKind::kMail) != nullptr, command) << line;
  }
}

TEST(StartTlsNotNegotiated, RefusedStartTlsIsPlainSmtp) {
  // 454: no TLS at all, the session simply goes on; no tls event.
  const Output out = RunSession({S("220 mx\r\n"), C("STARTTLS\r\n"), S("454 TLS not available\r\n"),
                                 C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n")});
  EXPECT_EQ(out.First(EventKind::kTls), nullptr);
  EXPECT_NE(out.First(EventKind::kMail), nullptr);
}

TEST(HeaderText, Undeclared8BitFallsBackToWindows1252) {
  // "Café – prix 100€" in Windows-1252: not UTF-8.
  EXPECT_EQ(DecodeHeaderText("Caf\xE9 \x96 prix 100\x80"),
            "Caf\xC3\xA9 \xE2\x80\x93 prix 100\xE2\x82\xAC");
  // Valid UTF-8 stays as it is.
  EXPECT_EQ(DecodeHeaderText("Caf\xC3\xA9"), "Caf\xC3\xA9");
  // Bytes Windows-1252 leaves undefined become U+FFFD; encoded words still decode.
  EXPECT_EQ(DecodeHeaderText("\x81 =?UTF-8?B?SGk=?="), "\xEF\xBF\xBD Hi");
  EXPECT_EQ(Windows1252ToUtf8("\x8D\x9D"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(HeaderText, Undeclared8BitSubjectInASession) {
  const Output out = RunSession(
      {S("220 mx\r\n"), C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"), C("RCPT TO:<b@y.org>\r\n"),
       S("250 ok\r\n"), C("DATA\r\n"), S("354 go\r\n"),
       C("From: Ren\xE9 <a@x.org>\r\nSubject: R\xE9sum\xE9\r\n\r\nx\r\n.\r\n"), S("250 ok\r\n")});
  const Event* msg = out.First(EventKind::kMessage);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->subject, "R\xC3\xA9sum\xC3\xA9");
  EXPECT_EQ(msg->header_from, "Ren\xC3\xA9 <a@x.org>");
}

TEST(EncodedWordsJapanese, Iso2022Jp) {
  EXPECT_EQ(DecodeEncodedWords("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?="), kHello);
  EXPECT_EQ(DecodeEncodedWords("=?iso-2022-jp?b?GyRCN29MPiVGJTklSBsoQg==?="),
            "\xE4\xBB\xB6\xE5\x90\x8D\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");  // 件名テスト
  // Two words with a fold between them join without the blank (RFC 2047 6.2).
  EXPECT_EQ(DecodeEncodedWords("Re: =?ISO-2022-JP?B?GyRCJDMkcxsoQg==?=\r\n "
                               "=?ISO-2022-JP?B?GyRCJEskQSRPGyhC?="),
            std::string("Re: ") + kHello);
}

TEST(EncodedWordsJapanese, ShiftJisAndEucJp) {
  EXPECT_EQ(DecodeEncodedWords("=?Shift_JIS?B?grGC8YLJgr+CzQ==?="), kHello);
  EXPECT_EQ(DecodeEncodedWords("=?shift_jis?Q?=82=B1=82=F1=82=C9=82=BF=82=CD?="), kHello);
  EXPECT_EQ(DecodeEncodedWords("=?EUC-JP?B?pLOk86TLpMGkzw==?="), kHello);
  // A Microsoft extension common in Japanese mail labelled Shift_JIS: circled digit one.
  EXPECT_EQ(DecodeEncodedWords("=?Shift_JIS?Q?=87=40?="), "\xE2\x91\xA0");
}

TEST(EncodedWordsJapanese, InvalidBytesBecomeReplacementCharacters) {
  // Shift_JIS lead byte followed by an invalid trail byte, then valid text.
  const std::string sjis = DecodeEncodedWords("=?Shift_JIS?Q?=82=01=82=B1?=");
  EXPECT_NE(sjis.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(sjis.find("\xE3\x81\x93"), std::string::npos);  // こ survives
  // ISO-2022-JP cut off in the middle of a character.
  const std::string jis = DecodeEncodedWords("=?ISO-2022-JP?Q?=1B$B$3$?=");
  EXPECT_NE(jis.find("\xE3\x81\x93"), std::string::npos);
  EXPECT_NE(jis.find("\xEF\xBF\xBD"), std::string::npos);
  // EUC-JP truncated lead byte.
  EXPECT_EQ(*ToUtf8("EUC-JP", "\xA4\xB3\xA4"), "\xE3\x81\x93\xEF\xBF\xBD");
}

TEST(EncodedWordsJapanese, RandomBytesNeverCrashAndStayBounded) {
  std::mt19937 rng(20261206);
  for (const char* cs : {"ISO-2022-JP", "Shift_JIS", "EUC-JP", "windows-1252", "UTF-8"}) {
    for (int i = 0; i < 300; ++i) {
      std::string bytes(rng() % 80, '\0');
      for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0x1b : rng());
      if (auto s = ToUtf8(cs, bytes)) {
        EXPECT_LE(s->size(), bytes.size() * 4 + 16);
      }
      std::string q = std::string("=?") + cs + "?Q?";
      for (char c : bytes) {
        static const char kHex[] = "0123456789ABCDEF";
        q += '=';
        q += kHex[static_cast<unsigned char>(c) >> 4];
        q += kHex[static_cast<unsigned char>(c) & 15];
      }
      q += "?=";
      EXPECT_LE(DecodeEncodedWords(q).size(), q.size() * 4 + 16);
      EXPECT_LE(DecodeHeaderText(bytes).size(), bytes.size() * 4 + 16);
    }
  }
}

}  // namespace
}  // namespace mxir::smtp
