#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/event_json.h"
#include "core/json_writer.h"

namespace mxir {
namespace {

TEST(JsonWriter, EscapesAndNests) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject()
      .Field("a", std::string_view("x\"y\\z\n\t\x01"))
      .Key("list")
      .BeginArray()
      .Int(-5)
      .Uint(7)
      .Double(1.5)
      .Bool(true)
      .Null()
      .BeginObject()
      .EndObject()
      .EndArray()
      .Field("n", 3.0 / 0.0)
      .EndObject();
  EXPECT_EQ(out, R"({"a":"x\"y\\z\n\t\u0001","list":[-5,7,1.5,true,null,{}],"n":null})");
  auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed["a"], "x\"y\\z\n\t\x01");
}

TEST(JsonWriter, ReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(out, std::string("ok \xC3\xA9 bad \xFF\xC3 end \xED\xA0\x80"));
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_TRUE(nlohmann::json::accept(out));
  EXPECT_NE(out.find("\xC3\xA9"), std::string::npos);  // valid é kept
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));  // overlong
}

Event SampleEvent() {
  Event e;
  e.ts = *ParseTimestamp("2026-11-23T01:02:03.000004Z");
  e.source = "pcap";
  e.origin.file = "x.pcap";
  e.origin.sha256 = "ab";
  e.origin.packet = 12;
  e.origin.index = 1;
  e.protocol = "submission";
  e.session = "C1";
  e.client_ip = IpAddress::Parse("192.0.2.7");
  e.client_port = 50000;
  e.server_ip = IpAddress::Parse("2001:db8::25");
  e.server_port = 587;
  e.kind = EventKind::kAuth;
  e.mechanism = "LOGIN";
  e.user = "bob@acme.example";
  e.outcome = "failure";
  e.code = 535;
  e.secret_fp = "0123456789abcdef";
  return e;
}

TEST(EventJson, RoundTrips) {
  Event e = SampleEvent();
  std::string json = EventToJson(e);
  auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["kind"], "auth");
  EXPECT_EQ(j["origin"]["packet"], 12);
  EXPECT_FALSE(j.contains("recipients"));  // unset fields are omitted
  EXPECT_FALSE(j.contains("helo"));
  EventReader reader;
  Event back;
  ASSERT_TRUE(reader.Parse(json, &back).ok());
  EXPECT_EQ(EventToJson(back), json);
}

TEST(EventJson, MessageRoundTripKeepsArrays) {
  Event e = SampleEvent();
  e.kind = EventKind::kMessage;
  e.recipients = {"a@x.example", "b@y.example"};
  e.to = {"A <a@x.example>"};
  e.subject = "Grüße";
  e.size = 1234;
  e.accepted = true;
  std::string json = EventToJson(e);
  EventReader reader;
  Event back;
  ASSERT_TRUE(reader.Parse(json, &back).ok());
  EXPECT_EQ(back.recipients, e.recipients);
  EXPECT_EQ(back.subject, "Grüße");
  EXPECT_EQ(*back.size, 1234);
  Event empty_msg = SampleEvent();
  empty_msg.kind = EventKind::kMessage;
  EXPECT_NE(EventToJson(empty_msg).find("\"recipients\":[]"), std::string::npos);
}

TEST(EventJson, TruncatedMessageRoundTrips) {
  Event e = SampleEvent();
  e.kind = EventKind::kMessage;
  e.truncated = true;
  e.cc = {"c@z.example"};
  const std::string json = EventToJson(e);
  EXPECT_NE(json.find("\"cc\":[\"c@z.example\"],"), std::string::npos) << json;
  EXPECT_NE(json.find("\"truncated\":true"), std::string::npos) << json;
  EventReader reader;
  Event back;
  ASSERT_TRUE(reader.Parse(json, &back).ok());
  ASSERT_TRUE(back.truncated.has_value());
  EXPECT_TRUE(*back.truncated);
  EXPECT_EQ(back.cc, e.cc);
  Event whole = SampleEvent();
  EXPECT_EQ(EventToJson(whole).find("truncated"), std::string::npos);
  Event bad;
  EXPECT_FALSE(
      reader.Parse(R"({"ts":"2026-11-23T01:02:03Z","kind":"message","truncated":"yes"})", &bad)
          .ok());
}

TEST(EventJson, ExactLayout) {
  Event e = SampleEvent();
  EXPECT_EQ(EventToJson(e),
            R"({"ts":"2026-11-23T01:02:03.000004Z","source":"pcap","origin":{"file":"x.pcap",)"
            R"("sha256":"ab","packet":12,"index":1},"protocol":"submission","session":"C1",)"
            R"("client_ip":"192.0.2.7","client_port":50000,"server_ip":"2001:db8::25",)"
            R"("server_port":587,"kind":"auth","mechanism":"LOGIN","user":"bob@acme.example",)"
            R"("outcome":"failure","secret_fp":"0123456789abcdef","code":535})");
  Event only_hash;
  only_hash.ts = e.ts;
  only_hash.origin.sha256 = "cd";
  only_hash.origin.line = 3;
  only_hash.kind = EventKind::kSessionEnd;
  only_hash.duration_s = 0.25;
  only_hash.esmtp = false;
  EXPECT_EQ(EventToJson(only_hash),
            R"({"ts":"2026-11-23T01:02:03.000004Z","origin":{"sha256":"cd","line":3},)"
            R"("kind":"session_end","duration_s":0.25,"esmtp":false})");
}

TEST(EventJson, EveryFieldLongAndHostileStaysValidAndRoundTrips) {
  // Long values (past the writer's first buffer), control bytes and invalid UTF-8 in every
  // string field.
  const std::string hostile = std::string(5000, 'a') + "\x01\"\\\n\xFF\xC3" + "end";
  Event e = SampleEvent();
  for (std::string* f : {&e.protocol,    &e.state,       &e.direction,
                         &e.helo,        &e.how,         &e.sni,
                         &e.mechanism,   &e.user,        &e.outcome,
                         &e.secret_fp,   &e.mail_from,   &e.rcpt_to,
                         &e.header_from, &e.subject,     &e.msg_id,
                         &e.user_agent,  &e.date,        &e.enhanced,
                         &e.text,        &e.command,     &e.relay,
                         &e.status,      &e.reason,      &e.queue_id,
                         &e.reply_to,    &e.in_reply_to, &e.x_originating_ip,
                         &e.server_name, &e.actor,       &e.operation,
                         &e.client_app,  &e.error_code,  &e.country}) {
    *f = hostile;
  }
  e.origin.file = hostile;
  e.origin.sha256 = hostile;
  e.session = hostile;
  e.recipients = {hostile, "", hostile};
  e.to = {hostile};
  e.cc = {"c@x"};
  e.received = {hostile, hostile};
  e.duration_s = 1e300;
  e.bytes_c2s = -1;
  e.bytes_s2c = INT64_MAX;
  e.gaps = 0;
  e.bytes = 7;
  e.size = 9;
  e.esmtp = true;
  e.accepted = false;
  e.parameters = {{hostile, hostile}, {"", ""}};
  e.asn = 4294967295LL;
  std::string json = EventToJson(e);
  EXPECT_TRUE(IsValidUtf8(json));
  ASSERT_TRUE(nlohmann::json::accept(json));
  auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j.size(), 57u);  // every field present
  EventReader reader;
  Event back;
  ASSERT_TRUE(reader.Parse(json, &back).ok());
  EXPECT_EQ(EventToJson(back), json);
  EXPECT_EQ(back.received.size(), 2u);
  std::string appended = "prefix";
  AppendEventJson(appended, e);
  EXPECT_EQ(appended, "prefix" + json);
}

TEST(EventJson, MailboxChangeKeepsParameterOrderAndHostedFields) {
  Event e = SampleEvent();
  e.kind = EventKind::kMailboxChange;
  e.user = "adam@contoso.example";
  e.actor = "attacker@contoso.example";
  e.operation = "New-InboxRule";
  e.parameters = {{"Name", "x"},
                  {"ForwardTo", "alpha@evil.example"},
                  {"DeleteMessage", "True"},
                  {"AlwaysDeleteOutlookRulesBlob", "False"}};
  e.outcome = "success";
  e.client_app = "Authenticated SMTP";
  e.error_code = "50126";
  e.country = "US";
  e.asn = 3598;
  std::string json = EventToJson(e);
  auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["kind"], "mailbox_change");
  EXPECT_EQ(j["parameters"]["ForwardTo"], "alpha@evil.example");
  EXPECT_EQ(j["error_code"], "50126");
  EXPECT_EQ(j["asn"], 3598);
  // Order as given, not sorted.
  EXPECT_LT(json.find("\"Name\""), json.find("\"ForwardTo\""));
  EXPECT_LT(json.find("\"DeleteMessage\""), json.find("\"AlwaysDeleteOutlookRulesBlob\""));
  EventReader reader;
  Event back;
  ASSERT_TRUE(reader.Parse(json, &back).ok());
  EXPECT_EQ(back.parameters, e.parameters);
  EXPECT_EQ(back.kind, EventKind::kMailboxChange);
  EXPECT_EQ(back.actor, e.actor);
  EXPECT_EQ(back.operation, e.operation);
  EXPECT_EQ(back.client_app, e.client_app);
  EXPECT_EQ(back.country, "US");
  EXPECT_EQ(*back.asn, 3598);
  EXPECT_EQ(EventToJson(back), json);
  // A mailbox change without parameters still has the (empty) object.
  Event bare = SampleEvent();
  bare.kind = EventKind::kMailboxChange;
  EXPECT_NE(EventToJson(bare).find("\"parameters\":{}"), std::string::npos);
  // Other tools may write a numeric error code, an "AS" prefixed ASN, non-string parameters.
  ASSERT_TRUE(reader
                  .Parse(R"({"ts":"2026-11-23T01:02:03Z","kind":"mailbox_change","error_code":)"
                         R"(50053,"asn":"AS8075","parameters":{"Enabled":true,"Priority":2}})",
                         &back)
                  .ok());
  EXPECT_EQ(back.error_code, "50053");
  EXPECT_EQ(*back.asn, 8075);
  ASSERT_EQ(back.parameters.size(), 2u);
  EXPECT_EQ(back.parameters[0], (std::pair<std::string, std::string>("Enabled", "true")));
  EXPECT_EQ(back.parameters[1].second, "2");
}

TEST(EventJson, BadInputGivesClearErrors) {
  EventReader reader;
  Event e;
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"kind":"auth"})", "missing field 'ts'"},
      {R"({"ts":"2026-11-23T01:02:03Z"})", "missing field 'kind'"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"teleport"})", "unknown event kind"},
      {R"({"ts":"yesterday","kind":"auth"})", "field 'ts'"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth","code":"535"})", "field 'code'"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth","client_ip":"999.1.1.1"})", "client_ip"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth","client_port":70000})", "client_port"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"message","recipients":[1]})", "recipients"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth"} trailing)", "not valid JSON"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth","asn":"ASx"})", "field 'asn'"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth","asn":-1})", "field 'asn'"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"auth","error_code":[1]})", "field 'error_code'"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"mailbox_change","parameters":[1]})", "parameters"},
      {R"({"ts":"2026-11-23T01:02:03Z","kind":"mailbox_change","parameters":{"a":{}}})",
       "parameters"},
  };
  for (const auto& c : cases) {
    Status s = reader.Parse(c.json, &e);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.error().message.find(c.expect), std::string::npos)
        << c.json << " -> " << s.error().message;
  }
  // Unknown fields are ignored.
  EXPECT_TRUE(
      reader.Parse(R"({"ts":"2026-11-23T01:02:03Z","kind":"helo","x":{"y":[1]}})", &e).ok());
}

}  // namespace
}  // namespace mxir

namespace mxir {
namespace {

// The plain byte-by-byte escaper the fast one must agree with.
std::string ReferenceEscape(std::string_view s) {
  std::string out = "\"";
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = 0;
      for (size_t l = 2; l <= 4 && i + l <= s.size(); ++l) {
        if (IsValidUtf8(s.substr(i, l))) {
          len = l;
          break;
        }
      }
      if (len) {
        out.append(s.substr(i, len));
        i += len;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

TEST(JsonWriter, FastEscapingAgreesWithReference) {
  const char alphabet[] =
      "abcXYZ09 .@-\"\\\n\t\x01\x1f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff";
  uint64_t seed = 12345;
  for (int round = 0; round < 20000; ++round) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t len = (seed >> 33) % 70;
    std::string s;
    for (size_t i = 0; i < len; ++i) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      // Mostly plain bytes, so long plain runs (the word-at-a-time path) occur.
      size_t pick = (seed >> 40) % 100;
      s += pick < 80 ? 'a' + static_cast<char>(pick % 26)
                     : alphabet[(seed >> 20) % (sizeof alphabet - 1)];
    }
    std::string fast;
    AppendJsonString(fast, s);
    ASSERT_EQ(fast, ReferenceEscape(s)) << "round " << round;
  }
}

}  // namespace
}  // namespace mxir
