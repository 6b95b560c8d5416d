// The policy delegation protocol parser and writer (relay-design.md §7.6 item 1).
#include "relay/policy_protocol.h"

#include <random>

#include <gtest/gtest.h>

namespace mxir::relay {
namespace {

// Golden requests as Postfix 3.7 sends them, per protocol state.
const char* kRcpt =
    "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
    "client_address=192.0.2.10\nclient_name=mta.company.example\nreverse_client_name=mta.company."
    "example\nhelo_name=mta.company.example\nsender=bob@company.example\nrecipient=x@ext.example\n"
    "recipient_count=0\nqueue_id=\ninstance=7a3c.6570a4f1.3f2a1.0\nsize=0\netrn_domain=\n"
    "stress=\nsasl_method=PLAIN\nsasl_username=relay\nsasl_sender=\nccert_subject=\n"
    "ccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\nencryption_protocol=TLSv1.3\n"
    "encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\npolicy_context=\n"
    "server_address=192.0.2.25\nserver_port=587\ncompatibility_level=3.6\nmail_version=3.7.11\n\n";

std::vector<PolicyRequest> FeedAll(PolicyParser& p, const std::string& s, bool* ok = nullptr) {
  std::vector<PolicyRequest> out;
  bool r = p.Feed(s, out);
  if (ok) *ok = r;
  return out;
}

TEST(PolicyProtocol, GoldenRequestsPerState) {
  for (const char* state : {"RCPT", "DATA", "END-OF-MESSAGE"}) {
    std::string req = kRcpt;
    req.replace(req.find("RCPT"), 4, state);
    PolicyParser p;
    bool ok = false;
    auto out = FeedAll(p, req, &ok);
    ASSERT_TRUE(ok) << p.error();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].Get("protocol_state"), state);
    EXPECT_EQ(out[0].Get("sasl_username"), "relay");
    EXPECT_EQ(out[0].Get("queue_id"), "");  // an empty value is a value
    EXPECT_TRUE(out[0].Has("queue_id"));
    EXPECT_FALSE(out[0].Has("nonexistent"));
    EXPECT_FALSE(p.HasPartial());
  }
}

TEST(PolicyProtocol, ByteByByteEqualsAllAtOnce) {
  std::string two = std::string(kRcpt) + kRcpt;
  PolicyParser whole, bytes;
  auto a = FeedAll(whole, two);
  std::vector<PolicyRequest> b;
  for (char c : two) ASSERT_TRUE(bytes.Feed(std::string_view(&c, 1), b));
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[1].attributes, b[1].attributes);
}

TEST(PolicyProtocol, ManyRequestsOnOneConnection) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) {
    stream +=
        "request=smtpd_access_policy\nprotocol_state=RCPT\ninstance=i" + std::to_string(i) + "\n\n";
  }
  PolicyParser p;
  bool ok = false;
  auto out = FeedAll(p, stream, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(out.size(), 1000u);
  EXPECT_EQ(out[999].Get("instance"), "i999");
}

TEST(PolicyProtocol, UnknownAttributesKeptAndCrlfTolerated) {
  PolicyParser p;
  auto out = FeedAll(p, "request=smtpd_access_policy\r\nfuture_attribute=x=y\r\n\r\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].Get("future_attribute"), "x=y");
}

TEST(PolicyProtocol, MalformedInputFailsAndStaysFailed) {
  struct Case {
    std::string input, why;
  } cases[] = {
      {"request=a\nrequest=b\n\n", "repeated"},
      {"request=a\nno equals sign\n\n", "without '='"},
      {"=value\n\n", "without a name"},
      {"bad name=1\n\n", "bad attribute name"},
      {std::string("request=a\nsender=x\0y\n\n", 22), "NUL"},
      {"\n", "empty request"},
      {"request=a\nsender=x\ry\n\n", "bare CR"},
      {"sender=" + std::string(3000, 'a') + "\n\n", "longer than 2048"},
  };
  for (const auto& c : cases) {
    PolicyParser p;
    bool ok = true;
    auto out = FeedAll(p, c.input, &ok);
    EXPECT_FALSE(ok) << c.why;
    EXPECT_TRUE(out.empty()) << c.why;
    EXPECT_NE(p.error().find(c.why), std::string::npos) << p.error();
    std::vector<PolicyRequest> more;
    EXPECT_FALSE(p.Feed("request=smtpd_access_policy\n\n", more));  // stays failed
    EXPECT_TRUE(more.empty());
  }
}

TEST(PolicyProtocol, OverlongLineFailsBeforeItsEndArrives) {
  PolicyParser p;
  std::vector<PolicyRequest> out;
  std::string chunk(1000, 'a');
  EXPECT_TRUE(p.Feed("sender=" + chunk, out));
  EXPECT_TRUE(p.Feed(chunk, out));
  EXPECT_FALSE(p.Feed(chunk, out));  // 3007 bytes and still no LF: refused, memory bounded
}

TEST(PolicyProtocol, AttributeCountAndRequestSizeCapped) {
  PolicyLimits lim;
  lim.max_attributes = 10;
  PolicyParser p(lim);
  std::string req;
  for (int i = 0; i < 11; ++i) req += "a" + std::to_string(i) + "=1\n";
  bool ok = true;
  FeedAll(p, req + "\n", &ok);
  EXPECT_FALSE(ok);
  EXPECT_NE(p.error().find("more than 10 attributes"), std::string::npos);
  PolicyLimits lim2;
  lim2.max_request = 100;
  PolicyParser p2(lim2);
  FeedAll(p2, "a=" + std::string(60, 'x') + "\nb=" + std::string(60, 'x') + "\n\n", &ok);
  EXPECT_FALSE(ok);
}

TEST(PolicyProtocol, EofWithoutTerminatorIsPartial) {
  PolicyParser p;
  auto out = FeedAll(p, "request=smtpd_access_policy\nprotocol_state=RCPT\n");
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.HasPartial());
  PolicyParser q;
  FeedAll(q, "request=smtpd_access_policy\nprotocol_st");
  EXPECT_TRUE(q.HasPartial());
}

TEST(PolicyProtocol, ReplyIsExactlyOneActionLine) {
  EXPECT_EQ(FormatPolicyReply("DUNNO"), "action=DUNNO\n\n");
  EXPECT_EQ(FormatPolicyReply("REJECT 5.7.1 no\nfoo=bar"), "action=REJECT 5.7.1 no?foo=bar\n\n");
  EXPECT_EQ(FormatPolicyReply(""), "action=DUNNO\n\n");
  EXPECT_EQ(FormatPolicyReply("HOLD caf\xc3\xa9"), "action=HOLD caf??\n\n");
}

TEST(PolicyProtocol, RandomBytesNeverCrashAndAreBounded) {
  std::mt19937 rng(15);
  for (int round = 0; round < 300; ++round) {
    PolicyParser p;
    std::vector<PolicyRequest> out;
    std::string junk;
    int n = rng() % 5000;
    for (int i = 0; i < n; ++i) {
      const char alphabet[] = "ab=\n\r\0_x";
      junk += alphabet[rng() % 8];
    }
    p.Feed(junk, out);
    for (const auto& r : out) {
      EXPECT_LE(r.attributes.size(), 64u);
      for (const auto& [k, v] : r.attributes) {
        EXPECT_EQ(k.find('\n'), std::string::npos);
        EXPECT_EQ(v.find('\0'), std::string::npos);
      }
    }
  }
}

}  // namespace
}  // namespace mxir::relay
