// The hosted-mail export shapes the corpus has no sample of, written from the field lists in
// ../shared/reference/cloud-logs.md: Entra sign-ins as a Graph page, as Extractor-Suite's
// concatenated arrays, as Untitled Goose Tool's JSON Lines, as the portal CSV and a Sentinel
// export; the Purview audit CSV; message trace V1/V2 CSV (also UTF-16LE without a BOM) and JSON;
// Google login activities; and detection of each by content.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "logs/hosted_common.h"
#include "logs/hosted_fields.h"
#include "logs/ingester.h"
#include "logs/text_decode.h"
#include "test_util.h"

namespace mxir::logs {
namespace {

using testing::Ingested;
using testing::Ip;
using testing::VectorSink;

// Reads `text` as a whole file would be read with --log-format auto (detection included).
Ingested IngestText(const std::string& text, const std::string& expect_format) {
  static ManualClock clock(ParseTimestamp("2026-11-23T12:00:00Z").value());
  VectorSink sink;
  IngestOptions options;
  options.tz = "UTC";
  auto ingester = Ingester::Create(options, clock, &sink).value();
  std::string decoded;
  std::string_view head = text;
  if (DecodeText(text, &decoded)) head = decoded;
  EXPECT_EQ(DetectDocumentFormat(head.substr(0, 65536)), expect_format);
  EXPECT_TRUE(ingester->IngestDocument(text, "t", "", expect_format).ok());
  return Ingested{std::move(sink.events), ingester->counters()};
}

std::string GraphSignIn(int i, int code, const std::string& user = "bob@contoso.example") {
  return R"({"id":"id-)" + std::to_string(i) + R"(","createdDateTime":"2026-11-20T10:0)" +
         std::to_string(i % 10) + R"(:00.1234567Z","userPrincipalName":")" + user +
         R"(","ipAddress":"192.0.2.)" + std::to_string(i % 250 + 1) +
         R"(","clientAppUsed":"Authenticated SMTP","userAgent":"BAV2ROPC","status":{"errorCode":)" +
         std::to_string(code) + R"(},"location":{"countryOrRegion":"FR"}})";
}

TEST(HostedShapes, EntraGraphPageConcatenatedArraysAndJsonLines) {
  auto page = IngestText(
      R"({"@odata.context":"x","value":[)" + GraphSignIn(1, 50126) + "," + GraphSignIn(2, 0) + "]}",
      "entra-signin");
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[0].outcome, "failure");
  EXPECT_EQ(page.events[1].outcome, "success");
  EXPECT_EQ(page.events[0].country, "FR");
  EXPECT_EQ(page.events[0].origin.line, 1);
  EXPECT_EQ(page.events[1].origin.line, 2);
  // Microsoft-Extractor-Suite: one pretty array per page, written one after another.
  auto concat =
      IngestText("\xEF\xBB\xBF[\n  " + GraphSignIn(1, 50126) + "\n]\n[" + GraphSignIn(2, 50053) +
                     "," + GraphSignIn(3, 50074) + "][" + GraphSignIn(4, 50140) + "]",
                 "entra-signin");
  ASSERT_EQ(concat.events.size(), 4u);
  EXPECT_EQ(concat.events[1].error_code, "50053");
  EXPECT_EQ(concat.events[2].error_code, "50074");
  EXPECT_EQ(concat.events[2].outcome, "failure");  // password accepted, MFA stopped it
  EXPECT_EQ(concat.events[3].outcome, "unknown");  // interrupt
  // Untitled Goose Tool: one signIn per line.
  auto goose =
      IngestText(GraphSignIn(1, 50126) + "\n" + GraphSignIn(2, 50126) + "\n", "entra-signin");
  EXPECT_EQ(goose.events.size(), 2u);
  // A damaged tail: the records before it are kept, the damage counted.
  auto damaged = IngestText(GraphSignIn(1, 50126) + "\n{\"createdDateTime\":", "entra-signin");
  EXPECT_EQ(damaged.events.size(), 1u);
  EXPECT_EQ(damaged.counters.Get("skipped.entra-signin.bad_json"), 1);
}

TEST(HostedShapes, EntraPortalCsvAndSentinelExport) {
  std::string csv =
      R"X("Date (UTC)","Request ID","User agent","Correlation ID","User ID","User","Username",)X"
      R"X("Application ID ","IP address","Location","Status","Sign-in error code",)X"
      R"X("Failure reason","Client app","Autonomous system  number","Incoming token type",)X"
      R"X("Incoming token type")X"
      "\r\n"
      R"X("2026-11-20T10:00:00Z","r1","BAV2ROPC","c1","u1","Printer","scan@contoso.example",)X"
      R"X("x","203.0.113.9","Berlin, Berlin, DE","Failure","50126","Invalid username or )X"
      R"X(password","Authenticated SMTP","3320","none","none")X"
      "\r\n"
      R"X("2026-11-20T10:05:00Z","r2","Mozilla","c2","u2","Ann","ann@contoso.example","x",)X"
      R"X("198.51.100.4","Paris, Ile-de-France, FR","Success","0","","Browser","","none","none")X"
      "\r\n";
  auto r = IngestText(csv, "entra-signin");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].user, "scan@contoso.example");
  EXPECT_EQ(r.events[0].error_code, "50126");
  EXPECT_EQ(r.events[0].client_app, "Authenticated SMTP");
  EXPECT_EQ(r.events[0].country, "DE");
  EXPECT_EQ(*r.events[0].asn, 3320);  // the double-space header
  EXPECT_EQ(Ip(r.events[0]), "203.0.113.9");
  EXPECT_EQ(r.events[0].origin.line, 2);
  EXPECT_EQ(r.events[1].outcome, "success");
  EXPECT_EQ(r.events[1].country, "FR");
  // Sentinel SigninLogs as JSON, Status and LocationDetails as JSON text.
  auto s = IngestText(
      R"([{"TimeGenerated":"2026-11-20T10:00:00Z","UserPrincipalName":"a@contoso.example",)"
      R"("IPAddress":"192.0.2.5","ResultType":"50126","ClientAppUsed":"IMAP4",)"
      R"("LocationDetails":"{\"countryOrRegion\":\"NL\"}","Status":"{\"errorCode\":50126}"}])",
      "entra-signin");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].error_code, "50126");
  EXPECT_EQ(s.events[0].protocol, "imap");
  EXPECT_EQ(s.events[0].country, "NL");
}

TEST(HostedShapes, PurviewAuditCsv) {
  std::string csv =
      "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,"
      "AssociatedAdminUnitsNames\n"
      "abc,\"2026-01-24T06:54:24.0000000Z \",1,New-InboxRule,eve@contoso.example,"
      "\"{\"\"Operation\"\":\"\"New-InboxRule\"\",\"\"UserId\"\":\"\"eve@contoso.example\"\","
      "\"\"ClientIP\"\":\"\"::ffff:192.0.2.44\"\",\"\"ResultStatus\"\":\"\"True\"\","
      "\"\"Parameters\"\":[{\"\"Name\"\":\"\"RedirectTo\"\",\"\"Value\"\":\"\"x@evil.example\"\"}]}"
      "\","
      ",\n";
  auto r = IngestText(csv, "m365-audit");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kind, EventKind::kMailboxChange);
  EXPECT_EQ(r.events[0].ts.ToString(), "2026-01-24T06:54:24.000000Z");  // no CreationTime
  EXPECT_EQ(Ip(r.events[0]), "192.0.2.44");
  ASSERT_EQ(r.events[0].parameters.size(), 1u);
  EXPECT_EQ(r.events[0].parameters[0].second, "x@evil.example");
}

std::string Utf16Le(const std::string& s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

TEST(HostedShapes, MessageTraceV2CsvAndUtf16V1) {
  std::string v2 =
      "\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\","
      "\"FromIP\",\"Size\",\"MessageId\",\"MessageTraceId\"\n";
  for (int i = 0; i < 5; ++i) {
    v2 += "\"2026-11-20T10:00:0" + std::to_string(i) + ".123\",\"bob@contoso.example\",\"r" +
          std::to_string(i) + "@x" + std::to_string(i) + ".example\",\"Invoice\",\"" +
          (i == 4 ? "FilteredAsSpam" : "Delivered") +
          "\",\"203.0.113.1\",\"\",\"2048\",\"<m1@contoso.example>\",\"trace-1\"\n";
  }
  auto r = IngestText(v2, "m365-trace");
  auto msgs = r.Of(EventKind::kMessage);
  ASSERT_EQ(msgs.size(), 1u);  // one message, five recipient rows
  EXPECT_EQ(msgs[0].recipients.size(), 5u);
  EXPECT_EQ(msgs[0].user, "bob@contoso.example");  // empty FromIP: sent from the mailbox
  EXPECT_FALSE(msgs[0].client_ip.has_value());
  EXPECT_EQ(msgs[0].ts.ToString(), "2026-11-20T10:00:00.123000Z");  // no zone = UTC
  auto dl = r.Of(EventKind::kDelivery);
  ASSERT_EQ(dl.size(), 5u);
  EXPECT_EQ(dl[4].status, "bounced");
  EXPECT_EQ(dl[4].text, "FilteredAsSpam");
  EXPECT_EQ(dl[0].relay, "203.0.113.1");
  // V1 with the remoting columns, UTF-16LE without a BOM, a locale date.
  std::string v1 =
      "\"PSComputerName\",\"RunspaceId\",\"PSShowComputerName\",\"Organization\",\"MessageId\","
      "\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\","
      "\"FromIP\",\"Size\",\"MessageTraceId\",\"StartDate\",\"EndDate\",\"Index\"\r\n"
      "\"x\",\"y\",\"False\",\"contoso\",\"<a@b>\",\"9/5/2022 6:10:13 PM\","
      "\"spam@evil.example\",\"ann@contoso.example\",\"Hi\",\"Delivered\",\"\",\"81.2.69.144\","
      "\"100\",\"t2\",\"\",\"\",\"0\"\r\n";
  auto r1 = IngestText(Utf16Le(v1), "m365-trace");
  auto m1 = r1.Of(EventKind::kMessage);
  ASSERT_EQ(m1.size(), 1u);
  EXPECT_EQ(m1[0].ts.ToString(), "2022-09-05T18:10:13.000000Z");
  EXPECT_EQ(Ip(m1[0]), "81.2.69.144");
  EXPECT_TRUE(m1[0].user.empty());  // from outside: no account
  EXPECT_EQ(r1.counters.Get("m365-trace.locale_dates"), 1);
}

TEST(HostedShapes, GoogleLoginActivities) {
  std::string page =
      R"({"kind":"admin#reports#activities","items":[)"
      R"({"kind":"admin#reports#activity","id":{"time":"2026-11-20T10:00:00.481Z",)"
      R"("uniqueQualifier":"1","applicationName":"login","customerId":"C1"},)"
      R"("actor":{"email":"ann@acme.example","profileId":"1"},"ipAddress":"192.0.2.8",)"
      R"("networkInfo":{"ipAsn":[3320],"regionCode":"DE"},)"
      R"("events":[{"type":"login","name":"login_failure","parameters":[)"
      R"({"name":"login_type","value":"google_password"},)"
      R"({"name":"login_failure_type","value":"login_failure_invalid_password"},)"
      R"({"name":"is_suspicious","boolValue":false}]}]},)"
      R"({"kind":"admin#reports#activity","id":{"time":"2026-11-20T10:01:00Z",)"
      R"("uniqueQualifier":"2","applicationName":"login"},"actor":{"email":"ann@acme.example"},)"
      R"("ipAddress":"192.0.2.8","events":{"type":"login","name":"login_failure","parameters":[)"
      R"({"name":"login_failure_type","value":"login_failure_invalid_second_factor"}]}},)"
      R"({"kind":"admin#reports#activity","id":{"time":"2026-11-20T10:02:00Z",)"
      R"("uniqueQualifier":"3","applicationName":"login"},"actor":{"email":"ann@acme.example"},)"
      R"("events":[{"type":"login","name":"logout"}]},)"
      R"({"kind":"admin#reports#activity","id":{"time":"2026-11-20T10:03:00Z",)"
      R"("uniqueQualifier":"4","applicationName":"login"},"actor":{"email":"ann@acme.example"},)"
      R"("ipAddress":"192.0.2.8","events":[{"type":"login","name":"login_success",)"
      R"("parameters":[{"name":"login_challenge_method","multiValue":["password","totp"]}]}]}],)"
      R"("nextPageToken":"x"})";
  auto r = IngestText(page, "google-login");
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 3u);
  EXPECT_EQ(auth[0].error_code, "login_failure_invalid_password");
  EXPECT_EQ(auth[0].outcome, "failure");
  EXPECT_EQ(auth[0].country, "DE");
  EXPECT_EQ(*auth[0].asn, 3320);
  EXPECT_EQ(auth[0].client_app, "google_password");
  EXPECT_EQ(auth[1].error_code, "login_failure_invalid_second_factor");
  EXPECT_EQ(auth[2].outcome, "success");
  EXPECT_EQ(auth[2].user, "ann@acme.example");
  EXPECT_EQ(r.counters.Get("skipped.google-login.other_event"), 1);
}

TEST(HostedShapes, ClientEndpointsAndTimes) {
  std::optional<IpAddress> ip;
  int port = -1;
  ASSERT_TRUE(ParseClientEndpoint("[2001:db8::1]:443", &ip, &port));
  EXPECT_EQ(ip->ToString(), "2001:db8::1");
  EXPECT_EQ(port, 443);
  ASSERT_TRUE(ParseClientEndpoint("::ffff:192.0.2.1", &ip, &port));
  EXPECT_EQ(ip->ToString(), "192.0.2.1");
  ASSERT_TRUE(ParseClientEndpoint("fe80::1%3", &ip, &port));
  EXPECT_FALSE(ParseClientEndpoint("not-an-ip", &ip, &port));
  EXPECT_EQ(ParseHostedTime("\\/Date(1728364117000)\\/")->ToString(),
            "2024-10-08T05:08:37.000000Z");
  EXPECT_EQ(ParseHostedTime("2019-10-18T04:45:48.0729893-05:00")->ToString(),
            "2019-10-18T09:45:48.072989Z");
  EXPECT_EQ(ParseHostedTime("2023-05-29T12:29:35")->ToString(), "2023-05-29T12:29:35.000000Z");
  EXPECT_FALSE(ParseHostedTime("5/29/2023 12:29:35 PM").has_value());
  EXPECT_EQ(ParseLocaleTime("5/29/2023 12:29:35 PM")->ToString(), "2023-05-29T12:29:35.000000Z");
  EXPECT_EQ(ParseLocaleTime("29.05.2023 00:29:35")->ToString(), "2023-05-29T00:29:35.000000Z");
  EXPECT_FALSE(ParseHostedTime("2023-13-40T99:00:00").has_value());
}

TEST(HostedShapes, JournalJsonAndPlainLogsAreNotDocuments) {
  EXPECT_EQ(DetectDocumentFormat(R"({"__CURSOR":"s=1","MESSAGE":"postfix/smtpd[1]: connect"})"),
            "");
  EXPECT_EQ(DetectDocumentFormat("Nov 23 10:00:00 mx postfix/smtpd[1]: connect from x[1.2.3.4]"),
            "");
  EXPECT_EQ(DetectDocumentFormat(""), "");
}

TEST(HostedShapes, ExchangeSmtpReceiveSuccessNamesTheWindowsAccount) {
  // A verbose SMTP Receive log of a submission client: permissions, then the Windows logon name
  // ("*,DOMAIN\user,authenticated"), then 235 (the shape public Exchange protocol logs show).
  const std::string pre = ",EX1\\Client Frontend EX1,08DB2A0000000001,";
  const std::string ep = ",10.0.0.5:587,198.51.100.7:50123,";
  auto r = testing::IngestLines(
      {"#Software: Microsoft Exchange Server", "#Version: 15.0.0.0",
       "#Log-type: SMTP Receive Protocol Log", "#Date: 2026-11-20T00:00:00.000Z",
       "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
       "remote-endpoint,event,data,context",
       "2026-11-20T09:00:00.000Z" + pre + "0" + ep + "+,,",
       "2026-11-20T09:00:00.010Z" + pre + "1" + ep + "<,EHLO scanner01,",
       "2026-11-20T09:00:00.020Z" + pre + "2" + ep + "<,AUTH LOGIN,",
       "2026-11-20T09:00:00.030Z" + pre + "3" + ep + ">,334 <authentication response>,",
       "2026-11-20T09:00:00.040Z" + pre + "4" + ep +
           "*,SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender "
           "AcceptRoutingHeaders,Set Session Permissions",
       "2026-11-20T09:00:00.040Z" + pre + "5" + ep + "*,ACME\\scanner,authenticated",
       "2026-11-20T09:00:00.041Z" + pre + "6" + ep + ">,235 2.7.0 Authentication successful,",
       "2026-11-20T09:00:00.050Z" + pre + "7" + ep + "<,AUTH LOGIN,",
       "2026-11-20T09:00:00.060Z" + pre + "8" + ep + ">,235 2.7.0 Authentication successful,",
       "2026-11-20T09:00:01.000Z" + pre + "9" + ep + "-,,Local"},
      "exchange-smtp");
  auto auth = r.Of(EventKind::kAuth);
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth[0].outcome, "success");
  EXPECT_EQ(auth[0].user, "ACME\\scanner");
  EXPECT_EQ(auth[0].mechanism, "LOGIN");
  EXPECT_EQ(auth[0].code, 235);
  EXPECT_EQ(Ip(auth[0]), "198.51.100.7");
  EXPECT_EQ(auth[0].protocol, "submission");
  // A second AUTH in the session without its own "authenticated" line names nobody.
  EXPECT_EQ(auth[1].outcome, "success");
  EXPECT_EQ(auth[1].user, "");
}

TEST(HostedShapes, JsonOrCsvIsDecidedInOnePlace) {
  EXPECT_EQ(ShapeOfDocument(""), DocumentShape::kEmpty);
  EXPECT_EQ(ShapeOfDocument(" \r\n\t "), DocumentShape::kEmpty);
  EXPECT_EQ(ShapeOfDocument("\n  {\"id\":1}"), DocumentShape::kJson);
  EXPECT_EQ(ShapeOfDocument("[][]"), DocumentShape::kJson);
  EXPECT_EQ(ShapeOfDocument("\"Date (UTC)\",\"User\"\n"), DocumentShape::kCsv);
  EXPECT_EQ(ShapeOfDocument("CreationDate,UserIds,Operations,AuditData"), DocumentShape::kCsv);
  // The same text gives the same answer to each parser and to the detection.
  EXPECT_EQ(DetectDocumentFormat(" \n"), "");
}

}  // namespace
}  // namespace mxir::logs
