// Every sample of ../shared/corpus/cloud-logs read with --log-format auto: the format each is
// recognised as, and the events' counts and fields (accounts, outcomes, error codes, clients,
// mailbox changes with their parameters).
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "logs/ingester.h"
#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::Ingested;
using testing::Ip;
using testing::VectorSink;

std::string CorpusDir() {
  if (const char* env = std::getenv("MXIR_SHARED_DIR")) {
    return std::string(env) + "/corpus/cloud-logs/";
  }
  return std::string(MXIR_SHARED_DIR) + "/corpus/cloud-logs/";
}

Ingested IngestCorpusFile(const std::string& name) {
  static ManualClock clock(ParseTimestamp("2026-11-23T12:00:00Z").value());
  VectorSink sink;
  IngestOptions options;
  options.tz = "UTC";
  auto ingester = Ingester::Create(options, clock, &sink).value();
  Status s = ingester->IngestFile(CorpusDir() + name);
  EXPECT_TRUE(s.ok()) << name << ": " << (s.ok() ? "" : s.error().message);
  return Ingested{std::move(sink.events), ingester->counters()};
}

#define REQUIRE_CORPUS()                                                                       \
  do {                                                                                         \
    std::ifstream probe(CorpusDir() + "README.md");                                            \
    if (!probe) GTEST_SKIP() << "corpus not found at " << CorpusDir() << " (MXIR_SHARED_DIR)"; \
  } while (0)

std::string Param(const Event& e, const std::string& name) {
  for (const auto& [k, v] : e.parameters) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(HostedCorpus, UalJsonLinesSprayNineLoginsOneSuccess) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_sts_msolspray-python.ndjson");
  EXPECT_EQ(r.counters.Get("format.m365-audit"), 1);
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 9u);
  EXPECT_EQ(r.events.size(), 9u);
  std::map<std::string, int> failures, successes;
  for (const auto& e : auth) {
    EXPECT_EQ(e.source, "m365-audit");
    EXPECT_EQ(Ip(e), "2a09:bac5:111:105::1a:89");
    EXPECT_EQ(e.user_agent, "python-requests/2.28.2");
    if (e.outcome == "failure") {
      EXPECT_EQ(e.error_code, "50126");
      EXPECT_EQ(e.reason, "InvalidUserNameOrPassword");
      ++failures[e.user];
    } else {
      EXPECT_EQ(e.outcome, "success");
      EXPECT_EQ(e.error_code, "0");
      ++successes[e.user];
    }
  }
  EXPECT_EQ(failures.size(), 8u);
  EXPECT_EQ(successes.size(), 1u);
  EXPECT_EQ(successes["Lidia@contoso.onmicrosoft.com"], 1);
  // Time from CreationTime, taken as UTC.
  EXPECT_EQ(auth[0].ts.ToString(), "2023-07-23T06:25:34.000000Z");
  EXPECT_EQ(auth[0].user, "Henrietta@contoso.onmicrosoft.com");
}

TEST(HostedCorpus, UalCsvMfaSweepInterruptsAreNotFailures) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_search-unifiedauditlog_mfasweep.csv");
  EXPECT_EQ(r.counters.Get("format.m365-audit"), 1);
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 8u);
  int success = 0, unknown = 0;
  for (const auto& e : auth) {
    EXPECT_EQ(e.user, "Lidia@contoso.onmicrosoft.com");
    if (e.error_code == "0") {
      EXPECT_EQ(e.outcome, "success");
      ++success;
    } else {
      EXPECT_EQ(e.error_code, "50140");
      EXPECT_EQ(e.outcome, "unknown");  // "Keep me signed in" interrupt, not a failure
      ++unknown;
    }
  }
  EXPECT_EQ(success, 3);
  EXPECT_EQ(unknown, 5);
  // CreationTime, never the locale CreationDate ("6/18/2023 12:02:47 PM").
  EXPECT_EQ(auth[0].ts.ToString(), "2023-06-18T12:02:47.000000Z");
  EXPECT_EQ(Ip(auth[0]), "104.28.196.199");
  EXPECT_EQ(Ip(auth[6]), "2a09:bac5:117:105::1a:de");
  EXPECT_NE(auth[0].user_agent.find("Firefox/24.0"), std::string::npos);
}

TEST(HostedCorpus, UalCsvInboxRuleThatDeletes) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_new-inboxrule_delete.csv");
  auto changes = r.Of(EventKind::kMailboxChange);
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_EQ(r.events.size(), 1u);
  const Event& e = changes[0];
  EXPECT_EQ(e.operation, "New-InboxRule");
  EXPECT_EQ(e.user, "stinger@contoso.onmicrosoft.com");
  EXPECT_EQ(e.actor, "stinger@contoso.onmicrosoft.com");
  EXPECT_EQ(e.outcome, "success");
  EXPECT_EQ(Ip(e), "104.28.196.199");
  EXPECT_EQ(e.client_port, 9808);
  EXPECT_EQ(e.ts.ToString(), "2023-05-29T12:29:35.000000Z");
  ASSERT_EQ(e.parameters.size(), 6u);
  EXPECT_EQ(e.parameters[2].first, "Name");  // in the order the log gave
  EXPECT_EQ(Param(e, "DeleteMessage"), "True");
  EXPECT_EQ(Param(e, "SubjectContainsWords"), "Attention");
  EXPECT_EQ(std::string_view(e.session), "902fdad0-3905-464b-a862-c1e64f13c374");
}

TEST(HostedCorpus, UalCsvSetInboxRuleBracketedIpv6WithPort) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_set-inboxrule.csv");
  auto changes = r.Of(EventKind::kMailboxChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].operation, "Set-InboxRule");
  EXPECT_EQ(changes[0].user, "Matt@contoso.onmicrosoft.com");
  EXPECT_EQ(Ip(changes[0]), "2a09:bac5:110:105::1a:98");
  EXPECT_EQ(changes[0].client_port, 52629);
  EXPECT_EQ(Param(changes[0], "MoveToFolder"), "Deleted Items");
  EXPECT_EQ(changes[0].parameters.size(), 7u);
}

TEST(HostedCorpus, UalCsvSetMailboxForwarding) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_set-mailbox_forwardingsmtpaddress.csv");
  auto changes = r.Of(EventKind::kMailboxChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].operation, "Set-Mailbox");
  EXPECT_EQ(changes[0].user, "Matt@contoso.onmicrosoft.com");
  EXPECT_EQ(Param(changes[0], "ForwardingSmtpAddress"), "smtp:bla@bla.com");
  EXPECT_EQ(Param(changes[0], "DeliverToMailboxAndForward"), "True");
}

TEST(HostedCorpus, UalPowerShellJsonForwardingRules) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_new-inboxrule_forwardto_psjson.json");
  EXPECT_EQ(r.counters.Get("format.m365-audit"), 1);
  auto changes = r.Of(EventKind::kMailboxChange);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].user, "adam@contoso.onmicrosoft.com");
  EXPECT_EQ(changes[1].user, "stinger@contoso.onmicrosoft.com");
  for (const auto& e : changes) {
    EXPECT_EQ(e.operation, "New-InboxRule");
    EXPECT_EQ(Param(e, "ForwardTo"), "alpha@localhost.com");
    EXPECT_EQ(Param(e, "Name"), "ForwardToHeaven");
    EXPECT_EQ(e.client_port, 28491);
  }
  // AuditData.CreationTime, not the "\/Date(ms)\/" CreationDate (the same second here).
  EXPECT_EQ(changes[0].ts.ToString(), "2024-10-08T05:08:37.000000Z");
}

TEST(HostedCorpus, UalPowerShellJsonSingleObjectMarkReadMove) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("m365-ual_new-inboxrule_markread-move_psjson.json");
  auto changes = r.Of(EventKind::kMailboxChange);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(Param(changes[0], "MoveToFolder"), "Archive");
  EXPECT_EQ(Param(changes[0], "MarkAsRead"), "True");
  EXPECT_EQ(Param(changes[0], "Name"), ".");
  EXPECT_EQ(changes[0].ts.ToString(), "2024-10-07T23:46:37.000000Z");
}

TEST(HostedCorpus, EntraGraphBetaFailedPassword) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("entra-signin_graph-beta_docs-example_50126.json");
  EXPECT_EQ(r.counters.Get("format.entra-signin"), 1);
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 1u);
  const Event& e = auth[0];
  EXPECT_EQ(e.source, "entra-signin");
  EXPECT_EQ(e.user, "testaccount1@contoso.com");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(e.error_code, "50126");
  EXPECT_EQ(e.client_app, "Browser");
  EXPECT_EQ(e.protocol, "web");
  EXPECT_EQ(Ip(e), "131.107.159.37");
  ASSERT_TRUE(e.asn.has_value());
  EXPECT_EQ(*e.asn, 3598);
  EXPECT_EQ(e.ts.ToString(), "2021-06-30T16:34:32.000000Z");
  EXPECT_EQ(std::string_view(e.session), "66ea54eb-blah-4ee5-be62-ff5a759b0100");
  EXPECT_NE(e.reason.find("invalid username or password"), std::string::npos);
  EXPECT_NE(e.user_agent.find("Edg/91"), std::string::npos);
}

TEST(HostedCorpus, EntraAzureMonitorAuthenticatedSmtp) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile(
      "entra-signin_azuremonitor-diag_panther-test_authenticated-smtp-bav2ropc.json");
  EXPECT_EQ(r.counters.Get("format.entra-signin"), 1);
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 1u);
  const Event& e = auth[0];
  EXPECT_EQ(e.outcome, "success");
  EXPECT_EQ(e.error_code, "0");
  EXPECT_EQ(e.client_app, "Authenticated SMTP");
  EXPECT_EQ(e.protocol, "submission");
  EXPECT_EQ(e.user_agent, "BAV2ROPC");
  EXPECT_EQ(Ip(e), "12.12.12.12");  // properties.ipAddress, not the top-level callerIpAddress
  EXPECT_EQ(e.country, "US");
  ASSERT_TRUE(e.asn.has_value());
  EXPECT_EQ(*e.asn, 1234);
  // createdDateTime "2023-07-21 05:03:52.160562400" (space, nine digits, no zone = UTC)
  EXPECT_EQ(e.ts.ToString(), "2023-07-21T05:03:52.160562Z");
}

TEST(HostedCorpus, ExchangeSmtpReceiveLogonDenied) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("exchange-onprem_smtpreceive_auth-logondenied_qazeer.log");
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 1u);  // logged twice with the same sequence number: one attempt
  const Event& e = auth[0];
  EXPECT_EQ(e.source, "exchange-smtp");
  EXPECT_EQ(e.user, "username@domain.com");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(e.error_code, "LogonDenied");
  EXPECT_EQ(e.mechanism, "LOGIN");
  EXPECT_EQ(Ip(e), "95.10.20.33");
  EXPECT_EQ(e.client_port, 56026);
  EXPECT_EQ(e.server_port, 25);
  EXPECT_EQ(std::string_view(e.session), "123453EC62278461");
  EXPECT_EQ(r.Of(EventKind::kHelo).size(), 2u);
  EXPECT_EQ(r.Of(EventKind::kTls).size(), 1u);
  EXPECT_EQ(r.counters.Get("unknown_format"), 0);
}

TEST(HostedCorpus, ExchangeMessageTracking) {
  REQUIRE_CORPUS();
  auto r = IngestCorpusFile("exchange-onprem_msgtrkms_qazeer.log");
  auto msgs = r.Of(EventKind::kMessage);
  ASSERT_EQ(msgs.size(), 1u);  // NOTIFYMAPI carries no message
  const Event& m = msgs[0];
  EXPECT_EQ(m.source, "exchange-tracking");
  EXPECT_EQ(m.mail_from, "user.name1@domain.com");
  EXPECT_EQ(m.user, "user.name1@domain.com");  // submitted from a mailbox (STOREDRIVER)
  ASSERT_EQ(m.recipients.size(), 1u);
  EXPECT_EQ(m.recipients[0], "user.name4@gmail.com");
  EXPECT_EQ(m.subject, "MAIL SUBJECT");
  EXPECT_EQ(*m.size, 3750222);
  EXPECT_EQ(m.msg_id, "<XXX@domain.com>");
  EXPECT_EQ(r.counters.Get("unknown_format"), 0);
}

TEST(HostedCorpus, ExchangeHttpProxy) {
  REQUIRE_CORPUS();
  // OWA: a GET without a cookie redirected to the login form is not a login.
  auto owa = IngestCorpusFile("exchange-onprem_httpproxy-owa_qazeer.log");
  EXPECT_TRUE(owa.Of(EventKind::kAuth).empty());
  EXPECT_EQ(owa.counters.Get("unknown_format"), 0);
  // EAS: Basic, authenticated, then 403: the password was right, access refused.
  auto eas = IngestCorpusFile("exchange-onprem_httpproxy-eas_qazeer.log");
  auto auth = eas.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].user, "DOMAIN\\username");
  EXPECT_EQ(auth[0].protocol, "activesync");
  EXPECT_EQ(auth[0].mechanism, "Basic");
  EXPECT_EQ(auth[0].error_code, "403");
  EXPECT_EQ(auth[0].outcome, "failure");
  EXPECT_EQ(Ip(auth[0]), "20.10.20.30");
  EXPECT_EQ(auth[0].user_agent, "Outlook-iOS-Android/1.0");
}

}  // namespace
}  // namespace mxir::logs
