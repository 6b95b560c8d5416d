// Config, locality, reply text, JSON Lines input, ids and output of lib/detect.
#include <sstream>

#include <gtest/gtest.h>

#include "detect/detect_config.h"
#include "detect/detect_context.h"
#include "detect/event_input.h"
#include "detect/finding_output.h"
#include "detect/reply_text.h"
#include "test_events.h"

namespace mxir::detect::test {
namespace {

TEST(Config, DefaultsAreTheDocumentedOnes) {
  DetectConfig c;
  EXPECT_EQ(c.stale_min_failures, 6);
  EXPECT_EQ(c.brute_min_failures, 10);
  EXPECT_TRUE(c.Validate().ok());
  for (const auto& spec : Thresholds()) {
    EXPECT_FALSE(ThresholdValueText(c, spec).empty()) << spec.name;
    EXPECT_TRUE((spec.count != nullptr) != (spec.number != nullptr)) << spec.name;
  }
}

TEST(Config, SetThresholdByOptionOrIniName) {
  DetectConfig c;
  ASSERT_TRUE(c.SetThreshold("brute-min-failures", "25").ok());
  ASSERT_TRUE(c.SetThreshold("stale_max_cadence_cv", "0.4").ok());
  ASSERT_TRUE(c.SetThreshold("brute-window", "10m").ok());
  EXPECT_EQ(c.brute_min_failures, 25);
  EXPECT_DOUBLE_EQ(c.stale_max_cadence_cv, 0.4);
  EXPECT_DOUBLE_EQ(c.brute_window_s, 600);
  EXPECT_FALSE(c.SetThreshold("brute-min-failures", "-1").ok());
  EXPECT_FALSE(c.SetThreshold("brute-min-failures", "ten").ok());
  EXPECT_FALSE(c.SetThreshold("bulk-rejected-ratio", "1.5").ok());
  Status unknown = c.SetThreshold("no-such-threshold", "1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("no-such-threshold"), std::string::npos);
}

TEST(Config, IniFile) {
  auto ini = IniFile::Parse(
      "[detect]\nstale_min_failures = 8\ninternal = 203.0.113.0/24, 10.0.0.0/8\n"
      "local_domains = acme.example\n",
      "test.ini");
  ASSERT_TRUE(ini.ok());
  DetectConfig c;
  std::vector<std::string> internal, domains;
  ASSERT_TRUE(c.ApplyIni(*ini, &internal, &domains).ok());
  EXPECT_EQ(c.stale_min_failures, 8);
  EXPECT_EQ(internal, (std::vector<std::string>{"203.0.113.0/24", "10.0.0.0/8"}));
  EXPECT_EQ(domains, std::vector<std::string>{"acme.example"});
  auto bad = IniFile::Parse("[detect]\nstale_min_failure = 8\n", "bad.ini");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(c.ApplyIni(*bad, nullptr, nullptr).ok());
  auto section = IniFile::Parse("[detection]\nx = 1\n", "bad.ini");
  ASSERT_TRUE(section.ok());
  EXPECT_FALSE(c.ApplyIni(*section, nullptr, nullptr).ok());
}

TEST(Locality, DomainsAndNetworks) {
  Locality loc = DefaultLocality({"Acme.Example."});
  EXPECT_TRUE(loc.IsLocalDomain("acme.example"));
  EXPECT_TRUE(loc.IsLocalDomain("mail.ACME.example"));
  EXPECT_FALSE(loc.IsLocalDomain("notacme.example"));
  EXPECT_TRUE(loc.IsLocalAddress("Bob <bob@acme.example>"));
  EXPECT_EQ(DomainOf("\"Bob\" <Bob@Acme.Example>"), "acme.example");
  EXPECT_EQ(BareAddress("Bob <Bob@Acme.Example>"), "bob@acme.example");
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("192.168.3.4")));
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("::ffff:10.1.1.1")));
  EXPECT_FALSE(loc.IsInternal(*IpAddress::Parse("203.0.113.1")));
  EXPECT_FALSE(loc.AddInternal("10.0.0.0/33").ok());
  EXPECT_FALSE(loc.AddLocalDomain("bob@").ok());
}

// Single addresses (the case's IP assets, often hundreds) are looked up, not scanned: the same
// answers as a network of one address, IPv4 also in its IPv6-mapped form.
TEST(Locality, SingleAddressesAgreeWithNetworks) {
  Locality loc;
  for (int i = 0; i < 250; ++i) {
    ASSERT_TRUE(loc.AddInternal("198.51." + std::to_string(i % 50) + "." + std::to_string(i)).ok());
  }
  ASSERT_TRUE(loc.AddInternal("203.0.113.9/32").ok());
  ASSERT_TRUE(loc.AddInternal("2001:db8::5").ok());
  ASSERT_TRUE(loc.AddInternal("2001:db8:1::/48").ok());
  ASSERT_TRUE(loc.AddInternal("2001:db8::5/128").ok());  // twice: no harm
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("198.51.7.7")));
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("198.51.7.57")));
  EXPECT_FALSE(loc.IsInternal(*IpAddress::Parse("198.51.7.8")));
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("::ffff:203.0.113.9")));
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("203.0.113.9")));
  EXPECT_FALSE(loc.IsInternal(*IpAddress::Parse("203.0.113.10")));
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("2001:db8::5")));
  EXPECT_FALSE(loc.IsInternal(*IpAddress::Parse("2001:db8::6")));
  EXPECT_TRUE(loc.IsInternal(*IpAddress::Parse("2001:db8:1:2::6")));
  // A v4 address is not the IPv6 address with the same leading bytes.
  EXPECT_FALSE(loc.IsInternal(*IpAddress::Parse("32.1.13.184")));
}

TEST(ReplyText, Blocklists) {
  auto a = FindBlocklistCitation(
      "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->list, "Spamhaus ZEN (zen.spamhaus.org)");
  EXPECT_EQ(a->listed_ip, "198.51.100.7");
  auto b = FindBlocklistCitation(
      "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your "
      "Internet service provider since part of their network is on our block list (S3150).");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->list, "Microsoft block list (S3150)");
  EXPECT_EQ(b->listed_ip, "203.0.113.5");
  auto c = FindBlocklistCitation("554 Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.9");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->list, "SpamCop");
  EXPECT_EQ(c->listed_ip, "192.0.2.9");
  auto d = FindBlocklistCitation("550 rejected because 192.0.2.1 is listed at dnsbl.example.net");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->list, "dnsbl.example.net");
  EXPECT_FALSE(FindBlocklistCitation("550 5.1.1 User unknown"));
}

TEST(ReplyText, Throttling) {
  EXPECT_TRUE(IsThrottleReply(421, "4.7.0", "Too many connections, try again later"));
  EXPECT_TRUE(IsThrottleReply(421, "4.7.28", "unusual rate of unsolicited mail"));
  EXPECT_TRUE(IsThrottleReply(451, "", "Rate limit exceeded for 10.0.0.5"));
  EXPECT_TRUE(IsThrottleReply(550, "5.1.8", "Access denied, bad outbound sender"));
  EXPECT_FALSE(IsThrottleReply(550, "5.1.1", "User unknown"));
  EXPECT_FALSE(IsThrottleReply(250, "", "ok"));
  EXPECT_EQ(FirstIpInText("host [2001:db8::5] said"), "2001:db8::5");
  EXPECT_EQ(FirstIpInText("no address 4.7.1 here"), "");
}

TEST(JsonlInput, BadLinesAreCountedWithReasons) {
  std::istringstream in(
      "{\"ts\":\"2026-11-23T01:00:00Z\",\"kind\":\"auth\",\"client_ip\":\"10.0.0.5\","
      "\"user\":\"bob\",\"outcome\":\"failure\",\"source\":\"dovecot\"}\n"
      "\n"
      "not json\n"
      "{\"ts\":\"2026-11-23T01:00:00Z\",\"kind\":\"teleport\"}\n"
      "{\"kind\":\"auth\"}\n"
      "{\"ts\":\"2026-11-23T01:00:00Z\",\"kind\":\"auth\",\"client_port\":\"x\"}\n"
      "{\"ts\":\"2026-11-22T01:00:00Z\",\"kind\":\"helo\"}\n");
  Counters counters;
  std::vector<std::string> errors;
  int good = 0;
  JsonlInput opts;
  opts.name = "t.jsonl";
  opts.since = ParseTimestamp("2026-11-23").value();
  ASSERT_TRUE(ReadEventsJsonl(
                  in, opts, [&](const Event&) { ++good; }, &counters, &errors)
                  .ok());
  EXPECT_EQ(good, 1);
  EXPECT_EQ(counters.Get("skipped.bad_event"), 4);
  EXPECT_EQ(counters.Get("outside_time_range"), 1);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].rfind("t.jsonl:3: ", 0), 0u);
  EXPECT_NE(errors[1].find("teleport"), std::string::npos);
}

TEST(Ids, StableAcrossRunsAndDistinctPerKey) {
  EXPECT_EQ(StableId("brute_force", {"1.2.3.4", "bob"}),
            StableId("brute_force", {"1.2.3.4", "bob"}));
  EXPECT_NE(StableId("brute_force", {"1.2.3.4", "bob"}),
            StableId("brute_force", {"1.2.3.4b", "ob"}));
  EXPECT_EQ(StableId("x", {}).rfind("x-", 0), 0u);
  std::vector<Event> v;
  AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  std::vector<Event> more = v;
  AddStale(&more, "pcap", "10.0.0.5", "bob@acme.example", 10, 60, "aaaaaaaaaaaaaaaa", 1200);
  EXPECT_EQ(Detect(v).findings[0].id, Detect(more).findings[0].id);
}

TEST(Output, TableIsOneLinePerFindingWorstFirst) {
  std::vector<Event> v;
  AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  for (int i = 0; i < 30; ++i) {
    v.push_back(Auth(i * 2, "dovecot", "b" + std::to_string(i), "203.0.113.9", "alice@acme.example",
                     "failure", "dovecot-sha1:" + std::to_string(i)));
  }
  DetectResult r = Detect(v);
  std::ostringstream table, explained, jsonl;
  PrintFindings(table, OutputFormat::kTable, false, r.findings);
  PrintFindings(explained, OutputFormat::kTable, true, r.findings);
  PrintFindings(jsonl, OutputFormat::kJsonl, false, r.findings);
  std::string t = table.str();
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 3);  // header + 2
  EXPECT_LT(t.find("brute_force"), t.find("stale_credentials"));
  EXPECT_NE(explained.str().find("Next steps:"), std::string::npos);
  EXPECT_NE(explained.str().find("Playbook: stale-credentials"), std::string::npos);
  std::ostringstream with_case;
  PrintFindings(with_case, OutputFormat::kTable, true, r.findings, "acme.case");
  EXPECT_NE(with_case.str().find("mxir playbook run stale-credentials --case acme.case --finding "),
            std::string::npos);
  EXPECT_NE(explained.str().find("--case CASE --finding"), std::string::npos);
  std::string j = jsonl.str();
  EXPECT_EQ(std::count(j.begin(), j.end(), '\n'), 2);
  EXPECT_NE(j.find("\"kind\":\"brute_force\""), std::string::npos);
}

// Explanations never say "about every 0 s".
TEST(Seconds, ShortGapsReadWell) {
  EXPECT_EQ(Seconds(0.03), "under 0.1 s");
  EXPECT_EQ(Seconds(0.3), "0.3 s");
  EXPECT_EQ(Seconds(45), "45 s");
  EXPECT_EQ(Seconds(600), "10.0 min");
}

}  // namespace
}  // namespace mxir::detect::test
