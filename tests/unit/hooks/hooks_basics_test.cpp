// Pure functions of lib/hooks: encodings, passwords, scrubbing, passwd-file edits, crypt hashes,
// JWTs, the retry policy, Postfix access-map edits, SMTP target parsing.
#include <set>

#include <gtest/gtest.h>

#include "hooks/crypt_hash.h"
#include "hooks/encoding.h"
#include "hooks/http_client.h"
#include "hooks/jwt.h"
#include "hooks/passwd_file.h"
#include "hooks/password_generator.h"
#include "hooks/postfix_containment.h"
#include "hooks/scrub.h"
#include "hooks/smtp_auth_check.h"
#include "https_test_server.h"

namespace mxir::hooks {
namespace {

TEST(Encoding, Base64RoundTripsAndRejectsGarbage) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", std::string("\0user\0pw", 8)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
    auto u = Base64UrlDecode(Base64UrlEncode(s));
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(*u, s);
  }
  EXPECT_EQ(Base64Encode(std::string("\0bob\0pw", 7)), "AGJvYgBwdw==");
  EXPECT_FALSE(Base64Decode("abc").ok());
  EXPECT_FALSE(Base64Decode("ab!=").ok());
  EXPECT_FALSE(Base64UrlDecode("a+b").ok());
  EXPECT_EQ(PercentEncode("bob@x.example/ä"), "bob%40x.example%2F%C3%A4");
  EXPECT_EQ(FormEncode({{"a", "1 2"}, {"b", "&="}}), "a=1%202&b=%26%3D");
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PasswordGenerator, LengthAlphabetClassesAndNoRepeats) {
  PasswordPolicy p;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto pw = GeneratePassword(p);
    ASSERT_TRUE(pw.ok());
    EXPECT_EQ(pw->size(), 20u);
    EXPECT_EQ(pw->find_first_not_of(p.alphabet), std::string::npos);
    EXPECT_EQ(pw->find_first_of("0O1lI5S2Z8Bo"), std::string::npos);
    EXPECT_NE(pw->find_first_of("abcdefghijkmnpqrstuvwxyz"), std::string::npos);
    EXPECT_NE(pw->find_first_of("34679"), std::string::npos);
    seen.insert(*pw);
  }
  EXPECT_EQ(seen.size(), 200u);
  p.length = 8;
  EXPECT_EQ(GeneratePassword(p).error().code, ErrorCode::kUsage);
  p.length = 16;
  p.alphabet = "abc";
  EXPECT_FALSE(GeneratePassword(p).ok());
  p.alphabet = "abcdefghij:";
  EXPECT_FALSE(GeneratePassword(p).ok());
}

TEST(Scrub, RemovesEveryFormOfTheSecret) {
  std::string pw = "Nq7X+hT4/kPw";
  std::string text = "set " + pw + " enc " + PercentEncode(pw) + " b64 " + Base64Encode(pw) +
                     " json \"Nq7X+hT4\\/kPw\" ok";
  std::string out = ScrubSecrets(text, {pw});
  EXPECT_EQ(out.find("Nq7X"), std::string::npos) << out;
  EXPECT_NE(out.find("[redacted]"), std::string::npos);
  EXPECT_EQ(ScrubSecrets(std::string(10000, 'x'), {}, 100).size(), 100u + 8);
  EXPECT_EQ(ScrubSecrets("abc", {"ab"}), "abc");  // too short to be one of ours
}

TEST(PasswdFile, ReplacesOnlyTheAccountsPasswordField) {
  std::string text =
      "# comment bob@example.test:x\n"
      "alice@example.test:{PLAIN}a:1000:1000::/home/alice::\r\n"
      "\n"
      "oddline\n"
      "bob@example.test:{SHA512-CRYPT}$6$x$y:1001:1001::/home/bob::userdb_quota_rule=*:storage=1G\n"
      "bob@example.test.evil:z";
  auto e = FindPasswdEntry(text, "bob@example.test");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->line_number, 5u);
  EXPECT_EQ(e->password_field, "{SHA512-CRYPT}$6$x$y");
  EXPECT_EQ(e->home, "/home/bob");
  std::string out = ReplacePasswordField(text, *e, "{BLF-CRYPT}$2y$new");
  std::string want = text;
  want.replace(want.find("{SHA512-CRYPT}$6$x$y"), 20, "{BLF-CRYPT}$2y$new");
  EXPECT_EQ(out, want);
  auto a = FindPasswdEntry(text, "alice@example.test");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->password_field, "{PLAIN}a");  // CRLF line: the \r is not part of any field
  EXPECT_EQ(FindPasswdEntry(text, "carol@example.test").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(FindPasswdEntry(text, "oddline").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(FindPasswdEntry("a:x\na:y\n", "a").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(FindPasswdEntry(text, "bad:name").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(FindPasswdEntry("", "a").error().code, ErrorCode::kNotFound);
  auto last = FindPasswdEntry("u:pw", "u");  // no newline, no other fields
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(ReplacePasswordField("u:pw", *last, "N"), "u:N");
}

TEST(CryptHash, HashesAndChecksBothSchemes) {
  for (auto scheme : {CryptScheme::kSha512Crypt, CryptScheme::kBlfCrypt}) {
    auto h = HashPassword("correct horse", scheme);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->rfind(std::string("{") + CryptSchemeName(scheme) + "}", 0), 0u);
    EXPECT_TRUE(*CheckPassword("correct horse", *h));
    EXPECT_FALSE(*CheckPassword("correct horsE", *h));
    EXPECT_NE(*HashPassword("correct horse", scheme), *h);  // fresh salt each time
  }
  // openssl passwd -6 -salt abc secret
  EXPECT_TRUE(*CheckPassword("secret",
                             "$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/"
                             "r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1"));
  EXPECT_EQ(CheckPassword("x", "{PLAIN}x").error().code, ErrorCode::kUsage);
  EXPECT_FALSE(ParseCryptScheme("MD5").ok());
  EXPECT_EQ(*ParseCryptScheme("blf-crypt"), CryptScheme::kBlfCrypt);
}

TEST(Jwt, SignsAndVerifiesRs256) {
  std::string priv, pub, other_priv, other_pub;
  testing::MakeRsaKeyPair(&priv, &pub);
  testing::MakeRsaKeyPair(&other_priv, &other_pub);
  nlohmann::ordered_json claims = {{"iss", "a"}, {"iat", 1}};
  auto jwt = SignJwtRs256(claims, priv, "kid1");
  ASSERT_TRUE(jwt.ok());
  nlohmann::json header;
  auto back = VerifyJwtRs256(*jwt, pub, &header);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)["iss"], "a");
  EXPECT_EQ(header["kid"], "kid1");
  EXPECT_FALSE(VerifyJwtRs256(*jwt, other_pub).ok());
  std::string tampered = *jwt;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_FALSE(VerifyJwtRs256(tampered, pub).ok());
  EXPECT_FALSE(SignJwtRs256(claims, "not a key").ok());
}

class ScriptedHttp : public HttpClient {
 public:
  std::vector<Result<HttpResponse>> answers;
  int calls = 0;
  Result<HttpResponse> Send(const HttpRequest&) override {
    return answers.at(static_cast<size_t>(calls++));
  }
};

HttpResponse Resp(long status, std::optional<int> retry_after = std::nullopt) {
  HttpResponse r;
  r.status = status;
  r.retry_after_seconds = retry_after;
  return r;
}

TEST(Retry, OnlyWhereSafe) {
  std::vector<std::chrono::milliseconds> slept;
  RetryPolicy p;
  p.sleep = [&](std::chrono::milliseconds d) { slept.push_back(d); };
  ScriptedHttp h;
  h.answers = {Resp(503), Resp(200)};
  EXPECT_EQ(SendWithRetry(h, {}, true, p)->status, 200);
  ScriptedHttp once;
  once.answers = {Resp(503), Resp(200)};
  EXPECT_EQ(SendWithRetry(once, {}, false, p)->status, 503);  // not idempotent: no retry
  ScriptedHttp throttled;
  throttled.answers = {Resp(429, 2), Resp(204)};
  slept.clear();
  EXPECT_EQ(SendWithRetry(throttled, {}, false, p)->status, 204);  // 429 is always safe
  EXPECT_EQ(slept.at(0), std::chrono::seconds(2));
  ScriptedHttp too_long;
  too_long.answers = {Resp(429, 3600)};
  EXPECT_EQ(SendWithRetry(too_long, {}, true, p)->status, 429);  // not waited for
  ScriptedHttp down;
  down.answers = {MakeError(ErrorCode::kUnavailable, "refused"), Resp(200)};
  EXPECT_FALSE(SendWithRetry(down, {}, false, p).ok());
  ScriptedHttp forbidden;
  forbidden.answers = {Resp(403)};
  int attempts = 0;
  EXPECT_EQ(SendWithRetry(forbidden, {}, true, p, &attempts)->status, 403);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(ParseRetryAfter("120"), 120);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
}

TEST(PostfixAccessMap, AddsAndRemovesOnlyTheAccountLine) {
  bool changed = false;
  std::string map = "# blocked\nmallory@x.test REJECT old\n";
  std::string added = EditAccessMap(map, "Bob@X.test", true, "5.7.1 suspended", &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(added, map + "Bob@X.test REJECT 5.7.1 suspended\n");
  EditAccessMap(added, "bob@x.test", true, "t", &changed);
  EXPECT_FALSE(changed);  // already there (keys compare case-insensitively)
  EXPECT_EQ(EditAccessMap(added, "bob@x.test", false, "", &changed), map);
  EXPECT_TRUE(changed);
  EXPECT_EQ(EditAccessMap("a REJECT x", "b", true, "y", &changed), "a REJECT x\nb REJECT y\n");
}

TEST(SmtpTarget, Parses) {
  auto t = ParseSmtpTarget("127.0.0.1:2525");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 2525);
  EXPECT_EQ(ParseSmtpTarget("[::1]:587")->host, "::1");
  EXPECT_FALSE(ParseSmtpTarget("host").ok());
  EXPECT_FALSE(ParseSmtpTarget("host:99999").ok());
  EXPECT_FALSE(ParseSmtpTarget("host:").ok());
}

}  // namespace
}  // namespace mxir::hooks
