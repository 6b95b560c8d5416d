// Hosted-mail scenarios on generated records of each format (Entra ID sign-ins, Unified Audit
// Log, Google Workspace login audit, Exchange Server SMTP Receive log), rendered as the provider
// writes them, read through the ingest parsers and judged by the detectors: a stale printer, a
// spray with one hit, the password accepted but MFA stopping the login after guessing, a
// forwarding rule after that login, and an office behind one NAT address with typos. Seeded,
// with property assertions over several seeds; never tuned to the samples.
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "logs/ingester.h"
#include "test_events.h"

namespace mxir::detect {
namespace {

using test::DefaultLocality;
using test::OfKind;

enum class Result { kOk, kBad, kMfa };

struct Login {
  int64_t t;  // seconds after 2026-11-20T00:00:00Z
  std::string user, ip, app = "Authenticated SMTP", agent = "BAV2ROPC";
  Result result;
};

constexpr int64_t kStart = 1795132800;  // 2026-11-20T00:00:00Z

std::string Iso(int64_t t, bool zone = true) {
  std::string s = Timestamp::FromSeconds(kStart + t).ToString().substr(0, 19);
  return zone ? s + "Z" : s;
}

std::string RenderEntra(const std::vector<Login>& logins) {
  std::string out;
  int n = 0;
  for (const auto& l : logins) {
    int code = l.result == Result::kOk ? 0 : l.result == Result::kBad ? 50126 : 50074;
    out += R"({"id":"req-)" + std::to_string(++n) + R"(","createdDateTime":")" + Iso(l.t) +
           R"(","userPrincipalName":")" + l.user + R"(","ipAddress":")" + l.ip +
           R"(","clientAppUsed":")" + l.app + R"(","userAgent":")" + l.agent +
           R"(","status":{"errorCode":)" + std::to_string(code) + "}}\n";
  }
  return out;
}

std::string RenderUal(const std::vector<Login>& logins) {
  std::string out;
  int n = 0;
  for (const auto& l : logins) {
    const char* code = l.result == Result::kOk ? "0" : l.result == Result::kBad ? "50126" : "50076";
    ++n;
    out += R"({"CreationTime":")" + Iso(l.t, false) + R"(","Id":"ual-)" + std::to_string(n) +
           R"(","Operation":")" + (l.result == Result::kOk ? "UserLoggedIn" : "UserLoginFailed") +
           R"(","RecordType":15,"Workload":"AzureActiveDirectory","UserId":")" + l.user +
           R"(","ClientIP":")" + l.ip + R"(:5)" + std::to_string(n % 1000) +
           R"(","ExtendedProperties":[{"Name":"UserAgent","Value":")" + l.agent +
           R"("}],"ErrorNumber":")" + code + "\"}\n";
  }
  return out;
}

std::string RenderGoogle(const std::vector<Login>& logins) {
  std::string out = R"({"kind":"admin#reports#activities","items":[)";
  int n = 0;
  for (const auto& l : logins) {
    if (n) out += ",";
    std::string ev = l.result == Result::kOk
                         ? R"({"type":"login","name":"login_success","parameters":[]})"
                         : std::string(R"({"type":"login","name":"login_failure","parameters":)") +
                               R"([{"name":"login_failure_type","value":")" +
                               (l.result == Result::kBad ? "login_failure_invalid_password"
                                                         : "login_failure_invalid_second_factor") +
                               R"("}]})";
    out += R"({"kind":"admin#reports#activity","id":{"time":")" + Iso(l.t) +
           R"(","uniqueQualifier":")" + std::to_string(++n) +
           R"(","applicationName":"login"},"actor":{"email":")" + l.user + R"("},"ipAddress":")" +
           l.ip + R"(","events":[)" + ev + "]}";
  }
  return out + "]}";
}

// The Windows logon name Exchange logs for a successful login: ACME\bob for bob@acme.example.
std::string LogonName(const std::string& user) { return "ACME\\" + user.substr(0, user.find('@')); }

// Exchange has no MFA result: kMfa logins are rendered as failures. A failure names the account
// as the client typed it ("User Name:"), a success by its Windows logon name
// ("*,ACME\bob,authenticated" before the 235).
std::vector<std::string> RenderExchange(const std::vector<Login>& logins) {
  std::vector<std::string> lines = {
      "#Software: Microsoft Exchange Server", "#Version: 15.0.0.0",
      "#Log-type: SMTP Receive Protocol Log", "#Date: 2026-11-20T00:00:00.000Z",
      "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,"
      "event,data,context"};
  int n = 0;
  for (const auto& l : logins) {
    std::string sid = "08DB" + std::to_string(100000 + ++n);
    std::string pre = ",MX\\Client Frontend MX," + sid + ",";
    std::string ep = ",10.0.0.5:587," + l.ip + ":" + std::to_string(40000 + n % 20000) + ",";
    std::string t = Iso(l.t).substr(0, 19);
    lines.push_back(t + ".100Z" + pre + "0" + ep + "+,,");
    lines.push_back(t + ".200Z" + pre + "1" + ep + "<,EHLO printer,");
    lines.push_back(t + ".300Z" + pre + "2" + ep + "<,AUTH LOGIN,");
    if (l.result == Result::kOk) {
      lines.push_back(t + ".350Z" + pre + "3" + ep +
                      "*,SMTPSubmit SMTPAcceptAnySender AcceptRoutingHeaders,"
                      "Set Session Permissions");
      lines.push_back(t + ".350Z" + pre + "3" + ep + "*," + LogonName(l.user) + ",authenticated");
      lines.push_back(t + ".400Z" + pre + "3" + ep + ">,235 2.7.0 Authentication successful,");
    } else {
      lines.push_back(t + ".400Z" + pre + "3" + ep +
                      "*,,Inbound AUTH LOGIN failed because of LogonDenied");
      lines.push_back(t + ".400Z" + pre + "3" + ep + "*,,User Name: " + l.user);
      lines.push_back(t + ".500Z" + pre + "4" + ep + ">,535 5.7.3 Authentication unsuccessful,");
    }
    lines.push_back(t + ".600Z" + pre + "5" + ep + "-,,Local");
  }
  return lines;
}

class Collect final : public logs::EventSink {
 public:
  void Emit(Event&& e) override { events.push_back(std::move(e)); }
  std::vector<Event> events;
};

std::vector<Event> Ingest(const std::string& format, const std::vector<Login>& logins,
                          const std::string& extra_audit = "") {
  static ManualClock clock(Timestamp::FromSeconds(kStart + 40 * 86400));
  Collect sink;
  logs::IngestOptions o;
  o.tz = "UTC";
  auto ing = logs::Ingester::Create(o, clock, &sink).value();
  if (format == "exchange-smtp") {
    auto s = ing->OpenStream("recv.log", "h");
    int64_t n = 0;
    for (const auto& line : RenderExchange(logins)) s->IngestLine(line, ++n);
    s->Finish();
  } else {
    std::string text = format == "entra-signin" ? RenderEntra(logins)
                       : format == "m365-audit" ? RenderUal(logins)
                                                : RenderGoogle(logins);
    EXPECT_TRUE(ing->IngestDocument(std::string_view(text), "gen", "h", format).ok());
  }
  if (!extra_audit.empty()) {
    EXPECT_TRUE(ing->IngestDocument(std::string_view(extra_audit), "ual", "h2", "m365-audit").ok());
  }
  return sink.events;
}

DetectResult Judge(const std::vector<Event>& events) { return test::Detect(events); }

std::set<std::string> Kinds(const DetectResult& r) {
  std::set<std::string> k;
  for (const auto& f : r.findings) k.insert(f.kind);
  return k;
}

const char* kFormats[] = {"entra-signin", "m365-audit", "google-login", "exchange-smtp"};

TEST(HostedScenarios, StalePrinterEveryFiveMinutesIsStaleCredentialsOnly) {
  for (const char* format : kFormats) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      std::mt19937 rng(seed);
      std::vector<Login> logins;
      for (int i = 0; i < 144; ++i) {  // 12 hours
        logins.push_back({i * 300 + static_cast<int64_t>(rng() % 5), "scanner@acme.example",
                          "203.0.113.10", "Authenticated SMTP", "BAV2ROPC", Result::kBad});
      }
      auto r = Judge(Ingest(format, logins));
      EXPECT_EQ(Kinds(r), std::set<std::string>{"stale_credentials"}) << format << " " << seed;
    }
  }
}

std::vector<Login> Spray(std::mt19937& rng, int hit, Result hit_result) {
  std::vector<Login> logins;
  int64_t t = 3600;
  for (int round = 0; round < 2; ++round) {
    for (int u = 0; u < 20; ++u) {
      t += 5 + rng() % 20;
      Result r = (round == 1 && u == hit) ? hit_result : Result::kBad;
      logins.push_back({t, "user" + std::to_string(u) + "@acme.example", "198.51.100.66",
                        "Mobile Apps and Desktop clients", "python-requests/2.31", r});
    }
  }
  return logins;
}

TEST(HostedScenarios, SprayOverTwentyAccountsWithOneSuccess) {
  for (const char* format : kFormats) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      std::mt19937 rng(seed);
      int hit = static_cast<int>(rng() % 20);
      auto r = Judge(Ingest(format, Spray(rng, hit, Result::kOk)));
      EXPECT_FALSE(OfKind(r, "password_spraying").empty()) << format << " " << seed;
      auto comp = OfKind(r, "account_compromise");
      ASSERT_EQ(comp.size(), 1u) << format << " " << seed;
      EXPECT_EQ(comp[0]->user, "user" + std::to_string(hit) + "@acme.example") << format;
      EXPECT_EQ(comp[0]->client_ip, "198.51.100.66") << format;
      // The spray names the accounts it targeted, the taken one among them.
      auto spray = OfKind(r, "password_spraying");
      ASSERT_FALSE(spray.empty());
      EXPECT_GE(spray[0]->users.size(), 20u) << format;
    }
  }
  // Without a hit: a spray, and nobody's account is called taken.
  for (const char* format : kFormats) {
    std::mt19937 rng(9);
    auto r = Judge(Ingest(format, Spray(rng, 0, Result::kBad)));
    EXPECT_FALSE(OfKind(r, "password_spraying").empty()) << format;
    EXPECT_TRUE(OfKind(r, "account_compromise").empty()) << format;
  }
}

TEST(HostedScenarios, PasswordAcceptedButMfaBlockedAfterGuessingIsCompromise) {
  // Not for Exchange Server: SMTP AUTH against it has no second factor, so no record says "the
  // password was right but MFA stopped it".
  for (const char* format : {"entra-signin", "m365-audit", "google-login"}) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      std::mt19937 rng(seed);
      std::vector<Login> logins;
      int64_t t = 7200;
      int guesses = 6 + static_cast<int>(rng() % 10);
      for (int i = 0; i < guesses; ++i) {
        t += 20 + rng() % 40;
        logins.push_back(
            {t, "carol@acme.example", "192.0.2.200", "Browser", "Mozilla/5.0", Result::kBad});
      }
      logins.push_back(
          {t + 30, "carol@acme.example", "192.0.2.200", "Browser", "Mozilla/5.0", Result::kMfa});
      auto r = Judge(Ingest(format, logins));
      auto comp = OfKind(r, "account_compromise");
      ASSERT_EQ(comp.size(), 1u) << format << " " << seed;
      EXPECT_EQ(comp[0]->user, "carol@acme.example");
      EXPECT_GE(comp[0]->severity, Severity::kHigh);
    }
  }
}

TEST(HostedScenarios, MfaPromptThatTheUserPassesIsNotCompromise) {
  // The user's typo, then the right password, the MFA prompt (50074) and the completed login.
  std::vector<Login> logins = {
      {100, "dave@acme.example", "203.0.113.5", "Browser", "Mozilla/5.0", Result::kBad},
      {130, "dave@acme.example", "203.0.113.5", "Browser", "Mozilla/5.0", Result::kMfa},
      {160, "dave@acme.example", "203.0.113.5", "Browser", "Mozilla/5.0", Result::kOk}};
  for (const char* format : {"entra-signin", "m365-audit", "google-login"}) {
    auto r = Judge(Ingest(format, logins));
    EXPECT_TRUE(OfKind(r, "account_compromise").empty()) << format;
  }
}

std::string InboxRule(int64_t t, const std::string& user, const std::string& forward_to) {
  return R"({"CreationTime":")" + Iso(t, false) +
         R"(","Id":"rule-1","Operation":"New-InboxRule","RecordType":1,"ResultStatus":"True",)"
         R"("Workload":"Exchange","UserId":")" +
         user + R"(","ClientIP":"198.51.100.66:4411","Parameters":[)" +
         R"({"Name":"Name","Value":"."},{"Name":"ForwardTo","Value":")" + forward_to +
         R"("},{"Name":"DeleteMessage","Value":"True"},{"Name":"StopProcessingRules",)"
         R"("Value":"True"}]})"
         "\n";
}

TEST(HostedScenarios, ForwardingRuleAfterTheSuspiciousLoginIsCritical) {
  // The rule comes from the Unified Audit Log; the login from each format's own records (an
  // Exchange Server's SMTP Receive log in a hybrid organisation).
  for (const char* format : kFormats) {
    std::mt19937 rng(4);
    int hit = 3;
    auto logins = Spray(rng, hit, Result::kOk);
    int64_t after = logins.back().t + 600;
    std::string user = "user" + std::to_string(hit) + "@acme.example";
    auto r = Judge(Ingest(format, logins, InboxRule(after, user, "drop@evil.example")));
    auto rules = OfKind(r, "mailbox_rule");
    ASSERT_EQ(rules.size(), 1u) << format;
    EXPECT_EQ(rules[0]->user, user);
    EXPECT_EQ(rules[0]->severity, Severity::kCritical) << format;
  }
  // The same rule without any suspicious login: reported, not critical.
  auto r = Judge(Ingest("m365-audit", {}, InboxRule(500, "erin@acme.example", "x@evil.example")));
  auto rules = OfKind(r, "mailbox_rule");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]->severity, Severity::kHigh);
}

TEST(HostedScenarios, ThirtyUsersBehindTheOfficeNatWithTyposNothingMediumOrAbove) {
  for (const char* format : kFormats) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      std::mt19937 rng(seed);
      std::vector<Login> logins;
      for (int day = 0; day < 3; ++day) {
        for (int u = 0; u < 30; ++u) {
          std::string user = "staff" + std::to_string(u) + "@acme.example";
          int64_t t = day * 86400 + 8 * 3600 + static_cast<int64_t>(rng() % 3600);
          for (int k = 0; k < 4; ++k) {  // a few logins a day
            if (rng() % 5 == 0) {        // a typo, then the right password
              logins.push_back({t, user, "198.51.100.1", "Browser", "Mozilla/5.0", Result::kBad});
              t += 10 + rng() % 30;
              if (std::string(format) != "exchange-smtp" && rng() % 2) {
                logins.push_back({t, user, "198.51.100.1", "Browser", "Mozilla/5.0", Result::kMfa});
                t += 15;
              }
            }
            logins.push_back({t, user, "198.51.100.1", "Browser", "Mozilla/5.0", Result::kOk});
            t += 1800 + rng() % 7200;
          }
        }
      }
      std::sort(logins.begin(), logins.end(),
                [](const Login& a, const Login& b) { return a.t < b.t; });
      auto r = Judge(Ingest(format, logins));
      EXPECT_TRUE(test::KindsAtLeast(r, Severity::kMedium).empty())
          << format << " seed " << seed << ": " << r.findings.front().kind << " "
          << r.findings.front().explanation.substr(0, 160);
    }
  }
}

TEST(HostedScenarios, BulkOutboundFromMessageTrace) {
  // A hijacked mailbox sending spam through Exchange Online: message trace rows with an empty
  // FromIP (normal for mail sent from the mailbox), many recipients in many domains, part of
  // them filtered as spam; a normal colleague alongside.
  for (unsigned seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(seed);
    std::string csv =
        "\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\","
        "\"FromIP\",\"Size\",\"MessageId\",\"MessageTraceId\"\n";
    auto row = [&](int64_t t, const std::string& from, const std::string& to,
                   const std::string& subject, const char* status, int id) {
      csv += "\"" + Iso(t, false) + "\",\"" + from + "\",\"" + to + "\",\"" + subject + "\",\"" +
             status + "\",\"203.0.113.77\",\"\",\"4096\",\"<m" + std::to_string(id) +
             "@acme.example>\",\"trace-" + std::to_string(id) + "\"\n";
    };
    int id = 0;
    for (int i = 0; i < 400; ++i) {
      row(3600 + i * 9 + static_cast<int64_t>(rng() % 5), "mia@acme.example",
          "r" + std::to_string(i) + "@d" + std::to_string(rng() % 250) + ".example",
          "Urgent invoice", rng() % 4 == 0 ? "FilteredAsSpam" : "Delivered", ++id);
    }
    for (int i = 0; i < 12; ++i) {
      row(3600 + i * 900, "ned@acme.example", "client" + std::to_string(i) + "@partner.example",
          "Re: offer " + std::to_string(i), "Delivered", ++id);
    }
    static ManualClock clock(Timestamp::FromSeconds(kStart + 86400));
    Collect sink;
    logs::IngestOptions o;
    auto ing = logs::Ingester::Create(o, clock, &sink).value();
    ASSERT_TRUE(ing->IngestDocument(std::string_view(csv), "trace.csv", "h", "m365-trace").ok());
    auto r = test::Detect(sink.events, DefaultLocality({"acme.example"}));
    auto bulk = OfKind(r, "bulk_outbound");
    ASSERT_EQ(bulk.size(), 1u) << seed;
    EXPECT_EQ(bulk[0]->user, "mia@acme.example");
    EXPECT_GE(bulk[0]->severity, Severity::kHigh);
  }
}

TEST(HostedScenarios, LegacyAuthInventoryNamesTheSwitchOff) {
  std::vector<Login> logins;
  for (int i = 0; i < 10; ++i) {
    logins.push_back({i * 3600, "copier@acme.example", "198.51.100.9", "Authenticated SMTP",
                      "BAV2ROPC", Result::kOk});
  }
  auto r = Judge(Ingest("entra-signin", logins));
  auto legacy = OfKind(r, "legacy_auth");
  ASSERT_EQ(legacy.size(), 1u);
  EXPECT_EQ(legacy[0]->user, "copier@acme.example");
  EXPECT_LE(legacy[0]->severity, Severity::kLow);
  EXPECT_NE(legacy[0]->explanation.find("December 2026"), std::string::npos);
  EXPECT_TRUE(test::KindsAtLeast(r, Severity::kMedium).empty());
}

}  // namespace
}  // namespace mxir::detect
