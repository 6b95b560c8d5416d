// The small parsers under SmtpSession: lines, commands, replies, BDAT arguments, text codecs,
// Zeek-style address extraction, headers and the TLS ClientHello reader.
#include <chrono>

#include <gtest/gtest.h>

#include "smtp/line_splitter.h"
#include "smtp/message_headers.h"
#include "smtp/protocol_lines.h"
#include "smtp/text_codecs.h"
#include "smtp/tls_client_hello.h"
#include "smtp/zeek_addresses.h"

namespace mxir::smtp {
namespace {

std::vector<std::string> Lines(LineSplitter& ls, const std::string& in) {
  std::vector<std::string> out;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const auto* end = p + in.size();
  std::string_view line;
  bool truncated = false;
  while (ls.Next(&p, end, &line, &truncated)) {
    out.push_back(std::string(line) + (truncated ? "|T" : ""));
  }
  return out;
}

TEST(LineSplitter, EndingsAndPartials) {
  LineSplitter ls(100);
  EXPECT_EQ(Lines(ls, "a\r\nb\nc\r\r\npart"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(ls.has_partial());
  EXPECT_EQ(Lines(ls, "ial\r\n"), (std::vector<std::string>{"partial"}));
  EXPECT_FALSE(ls.has_partial());
  EXPECT_EQ(Lines(ls, "x"), std::vector<std::string>{});
  std::string_view rest;
  ASSERT_TRUE(ls.TakePartial(&rest));
  EXPECT_EQ(rest, "x");
}

TEST(LineSplitter, LongLinesAreCut) {
  LineSplitter ls(4);
  EXPECT_EQ(Lines(ls, "abcdefgh\r\nok\r\n"), (std::vector<std::string>{"abcd|T", "ok"}));
  EXPECT_EQ(Lines(ls, "abc"), std::vector<std::string>{});
  EXPECT_EQ(Lines(ls, "defg"), std::vector<std::string>{});
  EXPECT_EQ(Lines(ls, "hij\nz\n"), (std::vector<std::string>{"abcd|T", "z"}));
}

TEST(ProtocolLines, Commands) {
  Command c = ParseCommand("mail FROM:<a@b> SIZE=10");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.word, "mail");
  EXPECT_EQ(c.arg, "FROM:<a@b> SIZE=10");
  EXPECT_EQ(ParseCommand("STARTTLS").verb, Verb::kStartTls);
  EXPECT_EQ(ParseCommand("X-ANONYMOUSTLS").verb, Verb::kXAnonymousTls);
  EXPECT_EQ(ParseCommand("XYZZY now").verb, Verb::kUnknown);
  EXPECT_EQ(ParseCommand("EHLO").arg, "");
}

TEST(ProtocolLines, Replies) {
  auto r = ParseReplyLine("250-PIPELINING");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 250);
  EXPECT_TRUE(r->continued);
  EXPECT_EQ(r->text, "PIPELINING");
  r = ParseReplyLine("550 5.7.1 Relaying denied");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->continued);
  EXPECT_EQ(EnhancedStatusCode(r->text), "5.7.1");
  EXPECT_EQ(ParseReplyLine("220")->text, "");
  EXPECT_FALSE(ParseReplyLine("600 nope"));
  EXPECT_FALSE(ParseReplyLine("hello"));
  EXPECT_FALSE(ParseReplyLine("25"));
  EXPECT_EQ(EnhancedStatusCode("4.2.10 mailbox full"), "4.2.10");
  EXPECT_EQ(EnhancedStatusCode("5.7.1Relaying"), "");
  EXPECT_EQ(EnhancedStatusCode("Ok"), "");
}

TEST(ProtocolLines, BdatArguments) {
  const char* why = "";
  auto b = ParseBdatArgs("86 LAST", &why);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size, 86u);
  EXPECT_TRUE(b->last);
  EXPECT_TRUE(ParseBdatArgs("86 last", &why)->last);
  EXPECT_FALSE(ParseBdatArgs("86", &why)->last);
  EXPECT_FALSE(ParseBdatArgs("", &why));
  EXPECT_STREQ(why, "BDAT argument bad length");
  EXPECT_FALSE(ParseBdatArgs("SCRAMBLE", &why));
  EXPECT_STREQ(why, "BDAT not followed by a valid chunk-size");
  EXPECT_FALSE(ParseBdatArgs("-1 LAST", &why));
  EXPECT_STREQ(why, "BDAT not followed by a valid chunk-size");
  EXPECT_FALSE(ParseBdatArgs("1234 SCRAMBLE", &why));
  EXPECT_STREQ(why, "BDAT chunk-size followed by junk");
  EXPECT_FALSE(ParseBdatArgs("86LAST", &why));
  EXPECT_FALSE(ParseBdatArgs("184467440737095516150", &why));
  EXPECT_STREQ(why, "BDAT chunk-size too large");
  EXPECT_FALSE(ParseBdatArgs("15555555557777777777 LAST", &why));  // > INT64_MAX
}

TEST(TextCodecs, Base64) {
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*Base64Decode("aGVsbA=="), "hell");
  EXPECT_EQ(*Base64Decode(""), "");
  EXPECT_EQ(std::string(*Base64Decode("AGEAYg==")), std::string("\0a\0b", 4));
  EXPECT_FALSE(Base64Decode("aGVsbG8"));
  EXPECT_FALSE(Base64Decode("aGV=bG8="));
  EXPECT_FALSE(Base64Decode("!!!!"));
}

TEST(TextCodecs, EncodedWords) {
  EXPECT_EQ(DecodeEncodedWords("=?UTF-8?B?SGVsbG8g4oKs?="), "Hello \xE2\x82\xAC");
  EXPECT_EQ(DecodeEncodedWords("=?iso-8859-1?q?caf=E9_cr=E8me?="), "caf\xC3\xA9 cr\xC3\xA8me");
  EXPECT_EQ(DecodeEncodedWords("=?ISO-8859-15?Q?=A4?="), "\xE2\x82\xAC");   // euro sign
  EXPECT_EQ(DecodeEncodedWords("=?windows-1252?Q?=80?="), "\xE2\x82\xAC");  // euro sign
  EXPECT_EQ(DecodeEncodedWords("=?us-ascii?Q?plain?="), "plain");
  EXPECT_EQ(DecodeEncodedWords("=?KOI8-R?B?8NLJ18XU?="),
            "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  // Blanks between adjacent encoded words vanish; others stay.
  EXPECT_EQ(DecodeEncodedWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c"), "ab c");
  EXPECT_EQ(DecodeEncodedWords("Re: =?UTF-8?Q?x?="), "Re: x");
  // Broken or unknown words are kept as they were.
  EXPECT_EQ(DecodeEncodedWords("=?no-such-charset?Q?x?="), "=?no-such-charset?Q?x?=");
  EXPECT_EQ(DecodeEncodedWords("=?UTF-8?B?***?="), "=?UTF-8?B?***?=");
  EXPECT_EQ(DecodeEncodedWords("=?UTF-8?Q?unterminated"), "=?UTF-8?Q?unterminated");
  EXPECT_EQ(DecodeEncodedWords("=?UTF-8?Q?=FF?="), "=?UTF-8?Q?=FF?=");  // not UTF-8
}

TEST(ZeekAddresses, EnvelopeArguments) {
  EXPECT_EQ(ExtractEmailAddresses("FROM:<a@example.org> SIZE=123"),
            std::vector<std::string>{"a@example.org"});
  EXPECT_EQ(ExtractEmailAddresses("FROM:sender@localhost"),
            std::vector<std::string>{"sender@localhost"});
  EXPECT_TRUE(ExtractEmailAddresses("FROM:<>").empty());
  EXPECT_EQ(ExtractEmailAddresses("TO:<x@y.org> ORCPT=rfc822;x@y.org"),
            (std::vector<std::string>{"x@y.org", "ORCPT=rfc822x@y.org"}));  // separators removed
}

TEST(ZeekAddresses, MimeSplitLikeZeek) {
  EXPECT_EQ(SplitMimeAddresses("\"Doe, Jane\" <j@x.org>, b@y.org"),
            (std::vector<std::string>{"\"Doe, Jane\" <j@x.org>", "b@y.org"}));
  EXPECT_EQ(SplitMimeAddresses("a@x.org,b@y.org , c@z.org"),
            (std::vector<std::string>{"a@x.org", "b@y.org", "c@z.org"}));
}

TEST(ZeekAddresses, ReceivedAndOriginatingIp) {
  EXPECT_EQ(FindAddressInReceived("from a ([203.0.113.5]) by b")->ToString(), "203.0.113.5");
  // Two wrapped addresses: Zeek takes the second.
  EXPECT_EQ(FindAddressInReceived("from a (10.0.0.1) by b [192.0.2.9] with")->ToString(),
            "192.0.2.9");
  EXPECT_FALSE(FindAddressInReceived("from a by b id 1.2.3.4x"));
  EXPECT_EQ(FindAddressInReceived("from x ([2001:db8::1]) by y")->ToString(), "2001:db8::1");
  EXPECT_EQ(FirstIpAddress("[198.51.100.20]")->ToString(), "198.51.100.20");
  EXPECT_FALSE(FirstIpAddress("unknown"));
}

TEST(MessageHeaders, FoldingLimitAndEnd) {
  MessageHeaderParser p(64);
  for (const char* line :
       {"Subject: one", "\ttwo", "X-Long: ", "From:  a@b", "nocolon", "To: c@d"}) {
    p.OnLine(line);
  }
  p.OnLine(std::string("X-Huge: ") + std::string(100, 'x'));
  p.OnLine("");
  p.OnLine("Body: not a header");
  p.Finish();
  const auto& h = p.completed();
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].name, "SUBJECT");
  EXPECT_EQ(h[0].value, "one\ttwo");
  EXPECT_EQ(h[1].name, "X-LONG");
  EXPECT_EQ(h[2].value, "a@b");
  EXPECT_EQ(h[3].name, "TO");
  EXPECT_EQ(p.oversized(), 1);
}

TEST(ClientHello, NotTlsAndTooShort) {
  ClientHelloReader r;
  EXPECT_EQ(r.Feed(reinterpret_cast<const uint8_t*>("\x16\x03"), 2),
            ClientHelloReader::State::kNeedMore);
  ClientHelloReader bad;
  EXPECT_EQ(bad.Feed(reinterpret_cast<const uint8_t*>("EHLO x\r\n"), 8),
            ClientHelloReader::State::kNotTls);
}

}  // namespace
}  // namespace mxir::smtp

namespace mxir::smtp {
namespace {

// Hostile lengths stay cheap: address extraction is linear, IP search is bounded.
TEST(ZeekAddresses, HostileInputIsFast) {
  const std::string letters(200000, 'a');
  const std::string colons(200000, ':');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ExtractEmailAddresses(letters).empty());
  EXPECT_TRUE(ExtractEmailAddresses(std::string(100000, '@')).empty());
  // "::" is an IPv6 address to Zeek too; only the time matters here.
  (void)FindAddressInReceived(colons);
  (void)FirstIpAddress(std::string(100000, '1'));
  EXPECT_EQ(ExtractEmailAddresses(letters + " x@y.org"), std::vector<std::string>{"x@y.org"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mxir::smtp

namespace mxir::smtp {
namespace {

TEST(TextCodecs, HostileEncodedWordsAreFast) {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "=?a?Q?";
  s += "?=";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(DecodeEncodedWords(s).size(), s.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mxir::smtp
