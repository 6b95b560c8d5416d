// RELAY.ini parsing and the generated Postfix instance: golden files, dangerous-setting checks.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "relay/main_cf_check.h"
#include "relay/postfix_config.h"
#include "test_config.h"

namespace mxir::relay {
namespace {

using testing::TestConfig;
using testing::TestIni;

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(MXIR_SOURCE_DIR) + "/tests/unit/relay/golden/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CheckGolden(const RelayConfig& c, const std::string& suffix) {
  for (const auto& f : GenerateInstanceFiles(c, "/etc/mxir-relay")) {
    std::string name = f.name + suffix;
    if (std::getenv("MXIR_UPDATE_GOLDEN")) {
      std::ofstream(std::string(MXIR_SOURCE_DIR) + "/tests/unit/relay/golden/" + name) << f.content;
    }
    EXPECT_EQ(f.content, Golden(name))
        << "golden file " << name << " differs (MXIR_UPDATE_GOLDEN=1 rewrites it)";
  }
}

TEST(RelayConfig, ParsesLimitsDomainsAndLogins) {
  auto c = TestConfig();
  EXPECT_EQ(c.domains, (std::vector<std::string>{"company.example", "company2.example"}));
  EXPECT_EQ(c.max_recipients_per_message, 5);
  EXPECT_EQ(c.under_investigation, InvestigationMode::kHold);
  ASSERT_EQ(c.logins.size(), 2u);
  EXPECT_TRUE(c.IsCompanyDomain("company2.example"));
  EXPECT_FALSE(c.IsCompanyDomain("evil.example"));
  EXPECT_EQ(c.policy_postfix_address(), "unix:private/mxir-policy");
  EXPECT_EQ(c.policy_listen_address(), "unix:/var/lib/mxir-relay-test/queue/private/mxir-policy");
}

TEST(RelayConfig, RefusesBadInput) {
  struct Case {
    std::string extra, needle;
  } cases[] = {
      {"bogus = 1\n", "unknown key 'bogus'"},
      {"under_investigation = ignore\n", "hold, reject or defer"},
      {"upstream = smarthost.example\n", "HOST:PORT"},
      {"dns = no\n", "needs an upstream"},
      {"max_recipients_per_message = 0\n", "at least 1"},
      {"max_messages_per_hour = -3\n", "whole number"},
      {"instance_dir = /var/spool/postfix\n", "system Postfix"},
      {"policy_listen = tcp:1.2.3.4:9\n", "policy_listen"},
      {"dkim_selector = s1\n", "go together"},
      {"bare_newline = no\n", "reject or normalize"},
      // A smarthost that is the relay itself (relay-security.md 6, case 14).
      {"upstream = 192.0.2.25:587\n", "loop back"},
      {"upstream = relay.company.example:465\n", "loop back"},
  };
  for (const auto& c : cases) {
    auto ini = IniFile::Parse(TestIni(c.extra), "t.ini");
    ASSERT_TRUE(ini.ok());
    auto r = ParseRelayConfig(*ini, "t.ini");
    ASSERT_FALSE(r.ok()) << c.extra;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().ExitStatus(), 2);
  }
  // A person's login outside the company's domains; a newline smuggled into a value.
  auto ini = IniFile::Parse(TestIni() + "eve@evil.example = secret_file:/x\n", "t.ini");
  EXPECT_FALSE(ParseRelayConfig(*ini, "t.ini").ok());
  auto ini2 = IniFile::Parse(
      "[relay]\nlisten_ip = 192.0.2.1\nhostname = r.company.example\ndomains = company.example\n"
      "tls_cert_file = /a b\ntls_key_file = /k\n[logins]\nr = secret_file:/p\n",
      "t.ini");
  EXPECT_FALSE(ParseRelayConfig(*ini2, "t.ini").ok());
}

TEST(RelayConfig, GoldenDirectToMx) { CheckGolden(TestConfig(), ""); }

TEST(RelayConfig, GoldenSmarthostWithDkim) {
  CheckGolden(TestConfig("upstream = smarthost.provider.example:587\n"
                         "dkim_selector = mxir2026\n"
                         "dkim_key_file = /etc/mxir/dkim.key\n"
                         "policy_listen = inet:127.0.0.1:10040\n"
                         "under_investigation = reject\n"),
              ".smarthost");
}

TEST(RelayConfig, DangerousSettingsHoldInEveryVariant) {
  for (const std::string& extra :
       {std::string(""), std::string("upstream = h.example:25\nupstream_tls = none\ndns = no\n"),
        std::string("dkim_selector = s\ndkim_key_file = /k\nbare_newline = normalize\n"),
        std::string("submission_port = 0\n")}) {
    auto files = GenerateInstanceFiles(TestConfig(extra), "/etc/mxir-relay");
    ASSERT_EQ(files[0].name, "main.cf");
    const std::string& m = files[0].content;
    EXPECT_TRUE(CheckMainCf(m).empty()) << extra << ": " << CheckMainCf(m).front();
    EXPECT_NE(m.find("\nmynetworks = 127.0.0.1/32\n"), std::string::npos);
    EXPECT_EQ(m.find("receive_override_options"), std::string::npos);
    EXPECT_EQ(m.find("permit_mynetworks"), std::string::npos);
    EXPECT_NE(m.find("\nsmtpd_forbid_unauth_pipelining = yes\n"), std::string::npos);
    EXPECT_NE(m.find("\nqueue_directory = /var/lib/mxir-relay-test/queue\n"), std::string::npos);
    // The relay never listens on port 25 and never delivers locally.
    EXPECT_EQ(files[1].content.find(":25 inet"), std::string::npos);
    EXPECT_EQ(files[1].content.find("\nlocal "), std::string::npos);
    EXPECT_EQ(files[1].content.find("\npickup "), std::string::npos);
  }
}

TEST(RelayConfig, CheckMainCfCatchesEachDangerousSetting) {
  std::string good = GenerateInstanceFiles(TestConfig(), "/d")[0].content;
  ASSERT_TRUE(CheckMainCf(good).empty());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string m = good;
    auto pos = m.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) m.replace(pos, from.size(), to);
    return m;
  };
  EXPECT_FALSE(CheckMainCf(replace("mynetworks = 127.0.0.1/32", "mynetworks = 0.0.0.0/0")).empty());
  EXPECT_FALSE(CheckMainCf(replace("smtpd_relay_restrictions = permit_sasl_authenticated, reject",
                                   "smtpd_relay_restrictions = permit_mynetworks, "
                                   "permit_sasl_authenticated, reject_unauth_destination"))
                   .empty());
  EXPECT_FALSE(CheckMainCf(replace("allow_percent_hack = no", "allow_percent_hack = yes")).empty());
  EXPECT_FALSE(
      CheckMainCf(replace("smtpd_forbid_bare_newline = reject", "smtpd_forbid_bare_newline = no"))
          .empty());
  EXPECT_FALSE(CheckMainCf(replace("smtpd_forbid_bare_newline_exclusions =",
                                   "smtpd_forbid_bare_newline_exclusions = $mynetworks"))
                   .empty());
  EXPECT_FALSE(CheckMainCf(good + "receive_override_options = no_header_body_checks\n").empty());
  EXPECT_FALSE(CheckMainCf(replace("smtpd_recipient_restrictions = reject_non_fqdn_recipient,",
                                   "smtpd_recipient_restrictions = permit_sasl_authenticated,"))
                   .empty());
  EXPECT_FALSE(
      CheckMainCf(replace("default_action = 451 4.3.5", "default_action = DUNNO")).empty());
  EXPECT_FALSE(
      CheckMainCf(replace("smtpd_per_record_deadline = yes", "smtpd_per_record_deadline = no"))
          .empty());
}

}  // namespace
}  // namespace mxir::relay
