// AUTH decoding: mechanisms, initial responses, 334 exchanges, cancel, outcomes, and secret
// fingerprints (present and stable for PLAIN/LOGIN/XOAUTH2, absent for CRAM-MD5).
#include <gtest/gtest.h>

#include "session_harness.h"
#include "smtp/auth_decoder.h"

namespace mxir::smtp::testing {
namespace {

// base64("\0alice@example.com\0Winter2024!") and with "Summer2025?".
constexpr char kPlainWinter[] = "AGFsaWNlQGV4YW1wbGUuY29tAFdpbnRlcjIwMjQh";
constexpr char kPlainSummer[] = "AGFsaWNlQGV4YW1wbGUuY29tAFN1bW1lcjIwMjU/";
constexpr char kUserB64[] = "YWxpY2VAZXhhbXBsZS5jb20=";  // alice@example.com
constexpr char kWinterB64[] = "V2ludGVyMjAyNCE=";        // Winter2024!

std::vector<Step> Session(std::vector<Step> auth_steps) {
  std::vector<Step> steps = {S("220 mx ESMTP\r\n"), C("EHLO h\r\n"),
                             S("250-mx\r\n250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n")};
  for (Step& s : auth_steps) steps.push_back(std::move(s));
  steps.push_back(C("QUIT\r\n"));
  steps.push_back(S("221 bye\r\n"));
  return steps;
}

const Event& OnlyAuth(const Output& out) {
  const auto all = out.All(EventKind::kAuth);
  EXPECT_EQ(all.size(), 1u);
  static const Event empty;
  return all.empty() ? empty : *all[0];
}

TEST(SmtpAuth, PlainInitialResponseSuccess) {
  const Output out = RunSession(Session({C(std::string("AUTH PLAIN ") + kPlainWinter + "\r\n"),
                                         S("235 2.7.0 Authentication successful\r\n")}));
  const Event& a = OnlyAuth(out);
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_EQ(a.user, "alice@example.com");
  EXPECT_EQ(a.outcome, "success");
  EXPECT_EQ(*a.code, 235);
  EXPECT_EQ(a.secret_fp, TestFingerprinter().Fingerprint("Winter2024!"));
}

TEST(SmtpAuth, PlainFailureWithFingerprintsThatCompare) {
  auto fail = [](const char* b64, bool initial) {
    std::vector<Step> steps;
    if (initial) {
      steps = {C(std::string("AUTH PLAIN ") + b64 + "\r\n")};
    } else {
      steps = {C("AUTH PLAIN\r\n"), S("334 \r\n"), C(std::string(b64) + "\r\n")};
    }
    steps.push_back(S("535 5.7.8 Error: authentication failed\r\n"));
    return RunSession(Session(steps));
  };
  const Output a = fail(kPlainWinter, true);
  const Output b = fail(kPlainWinter, false);
  const Output c = fail(kPlainSummer, true);
  EXPECT_EQ(OnlyAuth(a).outcome, "failure");
  EXPECT_EQ(*OnlyAuth(a).code, 535);
  EXPECT_EQ(OnlyAuth(b).user, "alice@example.com");
  ASSERT_FALSE(OnlyAuth(a).secret_fp.empty());
  EXPECT_EQ(OnlyAuth(a).secret_fp.size(), 16u);
  EXPECT_EQ(OnlyAuth(a).secret_fp, OnlyAuth(b).secret_fp);  // same password, same fingerprint
  EXPECT_NE(OnlyAuth(a).secret_fp, OnlyAuth(c).secret_fp);  // another password
}

TEST(SmtpAuth, LoginExchangeFailure) {
  auto run = [](const char* password_b64) {
    return RunSession(
        Session({C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"), C(std::string(kUserB64) + "\r\n"),
                 S("334 UGFzc3dvcmQ6\r\n"), C(std::string(password_b64) + "\r\n"),
                 S("535 5.7.8 Authentication credentials invalid\r\n")}));
  };
  const Output a = run(kWinterB64);
  const Output b = run(kWinterB64);
  const Output c = run("U3VtbWVyMjAyNT8=");  // Summer2025?
  const Event& e = OnlyAuth(a);
  EXPECT_EQ(e.mechanism, "LOGIN");
  EXPECT_EQ(e.user, "alice@example.com");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(*e.code, 535);
  EXPECT_EQ(e.secret_fp, TestFingerprinter().Fingerprint("Winter2024!"));
  EXPECT_EQ(e.secret_fp, OnlyAuth(b).secret_fp);
  EXPECT_NE(e.secret_fp, OnlyAuth(c).secret_fp);
  // The PLAIN and LOGIN fingerprints of the same password agree.
  const Output plain = RunSession(
      Session({C(std::string("AUTH PLAIN ") + kPlainWinter + "\r\n"), S("535 5.7.8 failed\r\n")}));
  EXPECT_EQ(e.secret_fp, OnlyAuth(plain).secret_fp);
}

TEST(SmtpAuth, LoginWithInitialUser) {
  const Output out = RunSession(
      Session({C(std::string("AUTH LOGIN ") + kUserB64 + "\r\n"), S("334 UGFzc3dvcmQ6\r\n"),
               C(std::string(kWinterB64) + "\r\n"), S("235 2.7.0 ok\r\n")}));
  EXPECT_EQ(OnlyAuth(out).user, "alice@example.com");
  EXPECT_EQ(OnlyAuth(out).outcome, "success");
  EXPECT_EQ(OnlyAuth(out).secret_fp, TestFingerprinter().Fingerprint("Winter2024!"));
}

TEST(SmtpAuth, CramMd5FailureHasNoFingerprint) {
  // base64("bob tstdigest0123456789abcdef0123")
  const Output out =
      RunSession(Session({C("AUTH CRAM-MD5\r\n"), S("334 PDEyMy40NTZAbXguZXhhbXBsZT4=\r\n"),
                          C("Ym9iIHRzdGRpZ2VzdDAxMjM0NTY3ODlhYmNkZWYwMTIz\r\n"),
                          S("535 5.7.8 Authentication failed\r\n")}));
  const Event& e = OnlyAuth(out);
  EXPECT_EQ(e.mechanism, "CRAM-MD5");
  EXPECT_EQ(e.user, "bob");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(*e.code, 535);
  EXPECT_TRUE(e.secret_fp.empty());
}

TEST(SmtpAuth, XOauth2InitialResponse) {
  // user=carol@example.com^Aauth=Bearer ya29.SeCrEtToKeN^A^A
  const Output out = RunSession(
      Session({C("AUTH XOAUTH2 "
                 "dXNlcj1jYXJvbEBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LlNlQ3JFdFRvS2VOAQE=\r\n"),
               S("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n"), C("\r\n"),
               S("535 5.7.8 Username and Password not accepted\r\n")}));
  const Event& e = OnlyAuth(out);
  EXPECT_EQ(e.mechanism, "XOAUTH2");
  EXPECT_EQ(e.user, "carol@example.com");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(e.secret_fp, TestFingerprinter().Fingerprint("ya29.SeCrEtToKeN"));
}

TEST(SmtpAuth, CancelAndTemporaryFailure) {
  Output out = RunSession(Session({C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"), C("*\r\n"),
                                   S("501 5.7.0 Authentication aborted\r\n")}));
  EXPECT_EQ(OnlyAuth(out).outcome, "aborted");
  EXPECT_EQ(*OnlyAuth(out).code, 501);
  out = RunSession(Session({C(std::string("AUTH PLAIN ") + kPlainWinter + "\r\n"),
                            S("454 4.7.0 Temporary authentication failure\r\n")}));
  EXPECT_EQ(OnlyAuth(out).outcome, "failure");
  EXPECT_EQ(*OnlyAuth(out).code, 454);
  // After AUTH the session goes on: a MAIL is decoded normally and carries the user.
  out = RunSession(Session({C(std::string("AUTH PLAIN ") + kPlainWinter + "\r\n"), S("235 ok\r\n"),
                            C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n"),
                            C("RCPT TO:<b@y.org>\r\n"), S("250 ok\r\n"), C("DATA\r\n"),
                            S("354 go\r\n"), C("Subject: x\r\n\r\n.\r\n"), S("250 ok\r\n")}));
  ASSERT_NE(out.First(EventKind::kMessage), nullptr);
  EXPECT_EQ(out.First(EventKind::kMessage)->user, "alice@example.com");
}

TEST(SmtpAuth, UnansweredAuthIsUnknown) {
  const Output out =
      RunSession({C("EHLO h\r\n"), C(std::string("AUTH PLAIN ") + kPlainWinter + "\r\n")});
  EXPECT_EQ(OnlyAuth(out).outcome, "unknown");
  EXPECT_FALSE(OnlyAuth(out).code.has_value());
}

TEST(SmtpAuth, BadBase64IsCountedNotFatal) {
  const Output out =
      RunSession(Session({C("AUTH PLAIN !!!notbase64\r\n"), S("501 5.5.2 cannot decode\r\n")}));
  EXPECT_EQ(OnlyAuth(out).outcome, "failure");
  EXPECT_TRUE(OnlyAuth(out).secret_fp.empty());
  EXPECT_EQ(out.counters.Get("smtp.decode_errors.bad_auth_response"), 1);
}

TEST(SmtpAuth, NoFingerprinterNoFingerprint) {
  AuthDecoder auth(nullptr);
  auth.Start("plain", kPlainWinter);
  EXPECT_EQ(auth.mechanism(), "PLAIN");
  EXPECT_EQ(auth.user(), "alice@example.com");
  EXPECT_TRUE(auth.secret_fp().empty());
}

// No output of any kind (events, Zeek rows, counters) ever holds a secret, plain or encoded.
TEST(SmtpAuth, SecretsNeverReachOutput) {
  const std::vector<std::vector<Step>> sessions = {
      Session({C(std::string("AUTH PLAIN ") + kPlainWinter + "\r\n"), S("535 no\r\n"),
               C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n")}),
      Session({C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"), C(std::string(kUserB64) + "\r\n"),
               S("334 UGFzc3dvcmQ6\r\n"), C(std::string(kWinterB64) + "\r\n"), S("235 ok\r\n"),
               C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n")}),
      Session({C("AUTH XOAUTH2 "
                 "dXNlcj1jYXJvbEBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LlNlQ3JFdFRvS2VOAQE=\r\n"),
               S("235 ok\r\n"), C("MAIL FROM:<a@x.org>\r\n"), S("250 ok\r\n")}),
      // A server that echoes nothing, a client that gets cut mid-exchange.
      {C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"), C(std::string(kUserB64) + "\r\n"),
       S("334 UGFzc3dvcmQ6\r\n"), C(std::string(kWinterB64) + "\r\n")},
  };
  for (const auto& steps : sessions) {
    for (const bool bytewise : {false, true}) {
      std::vector<std::vector<size_t>> chunks(steps.size());
      if (bytewise) {
        for (size_t i = 0; i < steps.size(); ++i) chunks[i].assign(steps[i].bytes.size(), 1);
      }
      const Output out = RunSession(steps, {}, 25, &chunks);
      const std::string all = out.events_jsonl + out.rows_tsv + out.counters.ToJson();
      for (const char* secret : {"Winter2024!", "ya29.SeCrEtToKeN", kWinterB64, kPlainWinter,
                                 "V2ludGVy", "SeCrEtToKeN"}) {
        EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked in:\n" << all;
      }
      EXPECT_NE(out.events_jsonl.find("\"auth\""), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mxir::smtp::testing
