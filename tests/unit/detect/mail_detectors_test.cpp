// Mail detectors: bulk_outbound, open_relay, inbound_flood, remote_blocklisting,
// remote_throttling.
#include <gtest/gtest.h>

#include "test_events.h"

namespace mxir::detect::test {
namespace {

using Kinds = std::vector<std::string>;

void AddSpamBurst(std::vector<Event>* v, const std::string& user, const std::string& client, int n,
                  double start) {
  for (int i = 0; i < n; ++i) {
    Event e = Message(start + i * 5, "spam" + std::to_string(i), client, user, "promo@shop.example",
                      {"u" + std::to_string(i) + "@dom" + std::to_string(i % 30) + ".example",
                       "v" + std::to_string(i) + "@mail" + std::to_string(i % 25) + ".example"},
                      "Cheap pills");
    v->push_back(e);
  }
}

TEST(BulkOutbound, SpamBurstWithSignsIsHigh) {
  std::vector<Event> v;
  AddNormal(&v);
  AddSpamBurst(&v, "carol@acme.example", "192.168.1.10", 80, 5000);
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  auto bulk = OfKind(r, "bulk_outbound");
  ASSERT_EQ(bulk.size(), 1u);
  EXPECT_EQ(bulk[0]->user, "carol@acme.example");
  EXPECT_EQ(bulk[0]->severity, Severity::kHigh);
  EXPECT_GE(bulk[0]->counts["recipients"].get<int64_t>(), 160);
  EXPECT_EQ(bulk[0]->evidence["subject"], "Cheap pills");
  EXPECT_EQ(KindsAtLeast(r, Severity::kMedium), Kinds{"bulk_outbound"});
}

TEST(BulkOutbound, LargeCleanMailingIsOnlyLow) {
  std::vector<Event> v;
  for (int i = 0; i < 120; ++i) {
    v.push_back(Message(i * 10, "n" + std::to_string(i), "192.168.1.20", "news@acme.example",
                        "news@acme.example", {"reader" + std::to_string(i) + "@partner.example"},
                        "Newsletter issue " + std::to_string(i)));
  }
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  auto bulk = OfKind(r, "bulk_outbound");
  ASSERT_EQ(bulk.size(), 1u);
  EXPECT_EQ(bulk[0]->severity, Severity::kLow);
}

TEST(BulkOutbound, AboveOwnHistory) {
  std::vector<Event> v;
  for (int h = 0; h < 5; ++h) {  // 2 recipients an hour for 5 hours
    v.push_back(Message(h * 3600, "h" + std::to_string(h), "192.168.1.30", "fred@acme.example",
                        "fred@acme.example", {"a@x.example", "b@y.example"}, "Hi"));
  }
  for (int i = 0; i < 30; ++i) {  // then 30 recipients in minutes, From not fred
    v.push_back(Message(5 * 3600 + i * 10, "x" + std::to_string(i), "192.168.1.30",
                        "fred@acme.example", "ceo@other.example",
                        {"t" + std::to_string(i) + "@z" + std::to_string(i) + ".example"},
                        "Invoice " + std::to_string(i)));
  }
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  auto bulk = OfKind(r, "bulk_outbound");
  ASSERT_EQ(bulk.size(), 1u);
  EXPECT_EQ(bulk[0]->severity, Severity::kHigh);
  EXPECT_EQ(bulk[0]->counts["history_max_hourly_recipients"], 2);
}

TEST(BulkOutbound, LocalRecipientsDoNotCount) {
  std::vector<Event> v;
  for (int i = 0; i < 200; ++i) {
    v.push_back(Message(i, "l" + std::to_string(i), "192.168.1.10", "carol@acme.example",
                        "carol@acme.example", {"staff" + std::to_string(i) + "@acme.example"},
                        "All hands"));
  }
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  EXPECT_TRUE(OfKind(r, "bulk_outbound").empty());
}

TEST(OpenRelay, OutsideClientWithoutLoginToOutsideDomainIsCritical) {
  std::vector<Event> v;
  for (int i = 0; i < 3; ++i) {
    v.push_back(Message(i * 30, "r" + std::to_string(i), "203.0.113.66", "", "spammer@bad.example",
                        {"victim" + std::to_string(i) + "@gmail.example"}, "Hello"));
  }
  // Mail for our own domain from outside is normal inbound mail.
  v.push_back(Message(200, "in", "198.51.100.1", "", "partner@partner.example",
                      {"carol@acme.example"}, "Order"));
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  auto relay = OfKind(r, "open_relay");
  ASSERT_EQ(relay.size(), 1u);
  EXPECT_EQ(relay[0]->client_ip, "203.0.113.66");
  EXPECT_EQ(relay[0]->severity, Severity::kCritical);
  EXPECT_EQ(relay[0]->counts["recipients"], 3);
  EXPECT_EQ(KindsAtLeast(r, Severity::kMedium), Kinds{"open_relay"});
}

TEST(OpenRelay, InsideHostIsLowAndAuthenticatedIsNothing) {
  std::vector<Event> v;
  v.push_back(Message(0, "pr", "192.168.1.50", "", "scanner@acme.example",
                      {"someone@partner.example"}, "Scan"));
  v.push_back(Auth(10, "pcap", "au", "203.0.113.70", "carol@acme.example", "success"));
  Event from_home = Message(11, "au", "203.0.113.70", "", "carol@acme.example",
                            {"x@partner.example"}, "From home");
  from_home.source = "pcap";  // same session as the login
  v.push_back(from_home);
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  auto relay = OfKind(r, "open_relay");
  ASSERT_EQ(relay.size(), 1u);
  EXPECT_EQ(relay[0]->client_ip, "192.168.1.50");
  EXPECT_EQ(relay[0]->severity, Severity::kLow);
}

TEST(OpenRelay, NeedsLocalDomains) {
  std::vector<Event> v;
  v.push_back(Message(0, "r", "203.0.113.66", "", "a@bad.example", {"v@gmail.example"}, "x"));
  DetectEngine engine({}, DefaultLocality());
  for (const auto& e : v) engine.Add(e);
  DetectResult r = engine.Finish();
  EXPECT_TRUE(OfKind(r, "open_relay").empty());
  EXPECT_EQ(engine.counters().Get("not_checked.open_relay_and_inbound_flood_need_local_domains"),
            1);
}

TEST(OpenRelay, OurDeliveryToARemoteMxIsNotRelaying) {
  Event rcpt = Base(0, "pcap", "out1", "10.0.0.1", EventKind::kRcpt);
  rcpt.server_ip = IpAddress::Parse("142.250.1.1");
  rcpt.rcpt_to = "someone@gmail.example";
  rcpt.accepted = true;
  rcpt.code = 250;
  DetectResult r = Detect({rcpt}, DefaultLocality({"acme.example"}));
  EXPECT_TRUE(OfKind(r, "open_relay").empty());
}

TEST(InboundFlood, OneSenderDomainFloodingLocalUsers) {
  std::vector<Event> v;
  for (int i = 0; i < 150; ++i) {
    v.push_back(Message(i * 10, "f" + std::to_string(i), "198.51.100.9", "",
                        "news@bulk-news.example",
                        {"user" + std::to_string(i % 7) + "@acme.example"}, "Big sale"));
  }
  AddNormal(&v);
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  auto flood = OfKind(r, "inbound_flood");
  ASSERT_EQ(flood.size(), 1u);
  EXPECT_EQ(flood[0]->evidence["sender_domain"], "bulk-news.example");
  EXPECT_EQ(flood[0]->counts["messages"], 150);
  EXPECT_EQ(flood[0]->severity, Severity::kMedium);
  EXPECT_EQ(flood[0]->playbook, "inbound-flood");
  EXPECT_EQ(KindsAtLeast(r, Severity::kMedium), Kinds{"inbound_flood"});
}

TEST(RemoteBlocklisting, DeliveryRejectionNamesListAndIp) {
  std::vector<Event> v;
  for (int i = 0; i < 2; ++i) {
    Event d = Base(i, "postfix", "", "", EventKind::kDelivery);
    d.client_ip.reset();
    d.status = "bounced";
    d.code = 554;
    d.relay = "mx.example.net[192.0.2.25]:25";
    d.text =
        "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using "
        "zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7";
    v.push_back(d);
  }
  DetectResult r = Detect(v);
  auto bl = OfKind(r, "remote_blocklisting");
  ASSERT_EQ(bl.size(), 1u);
  EXPECT_EQ(bl[0]->evidence["listed_ip"], "198.51.100.7");
  EXPECT_EQ(bl[0]->evidence["blocklist"], "Spamhaus ZEN (zen.spamhaus.org)");
  EXPECT_EQ(bl[0]->playbook, "blocklisted");
  ASSERT_EQ(r.listed.size(), 1u);
  EXPECT_EQ(r.listed[0].ip, "198.51.100.7");
}

TEST(RemoteBlocklisting, OurServerRefusingAListedOutsiderIsNotAboutUs) {
  Event e = Base(0, "pcap", "x", "203.0.113.99", EventKind::kReply);
  e.code = 554;
  e.text = "Service unavailable; Client host [203.0.113.99] blocked using zen.spamhaus.org";
  DetectResult r = Detect({e});
  EXPECT_TRUE(r.findings.empty());
}

TEST(RemoteThrottling, ProviderThrottlesOurHost) {
  std::vector<Event> v;
  for (int i = 0; i < 4; ++i) {
    Event e = Base(i * 60, "pcap", "t" + std::to_string(i), "10.0.0.5", EventKind::kReply);
    e.server_ip = IpAddress::Parse("40.99.1.1");
    e.code = 421;
    e.enhanced = "4.7.0";
    e.text = "Too many connections from your IP, try again later";
    v.push_back(e);
  }
  DetectResult r = Detect(v);
  auto th = OfKind(r, "remote_throttling");
  ASSERT_EQ(th.size(), 1u);
  EXPECT_EQ(th[0]->client_ip, "10.0.0.5");
  EXPECT_EQ(th[0]->severity, Severity::kMedium);
  EXPECT_EQ(th[0]->playbook, "throttled");
}

TEST(RemoteThrottling, UnrelatedRejectionsAreNotThrottling) {
  std::vector<Event> v;
  for (int i = 0; i < 5; ++i) {
    Event e = Base(i, "postfix", "", "", EventKind::kDelivery);
    e.status = "bounced";
    e.code = 550;
    e.text = "5.1.1 <nobody@example.net>: Recipient address rejected: User unknown";
    v.push_back(e);
  }
  DetectResult r = Detect(v);
  EXPECT_TRUE(r.findings.empty());
}

// The same after rotation (issue #18): mail.log.1 leaves the message queued, mail.log read in a
// separate run has only its end (`continued`, first seen later, no sender). The later outcome
// completes the queued record — one message, with the sender and account of the start.
TEST(QueuedMessages, AContinuedRecordOfARotatedLogCompletesTheQueuedOne) {
  auto logged = [](const std::string& queue_id, double first, const std::string& state,
                   bool continued, int rcpts) {
    std::vector<std::string> to;
    for (int i = 0; i < rcpts; ++i) to.push_back("u" + std::to_string(i) + "@far.example");
    Event e = continued ? Message(first, "", "", "", "", to, "")
                        : Message(first, "s1", "203.0.113.7", "sales@acme.example",
                                  "sales@acme.example", to, "");
    e.queue_id = queue_id;
    e.server_name = "mx";
    e.state = state;
    if (continued) e.continued = true;
    return e;
  };
  for (int split = -1; split < 6; ++split) {  // Finalize after record `split` (or only at the end)
    EvidenceCollector c(60);
    std::vector<Event> in = {
        logged("AB12", 10, "queued", false, 0),  // mail.log.1: queued, recipients not yet known
        logged("CD34", 20, "queued", false, 1),  // mail.log.1: queued
        logged("AB12", 500, "", true, 2),        // mail.log: AB12 delivered and removed
        logged("CD34", 600, "queued", true, 1),  // mail.log: CD34 deferred again, still queued
        logged("EF56", 700, "", true, 1),        // mail.log: its queued record was never read
        logged("AB12", 90000, "", false, 1),     // the queue id reused later: another message
    };
    for (int i = 0; i < static_cast<int>(in.size()); ++i) {
      c.Add(in[i]);
      if (i == split) c.Finalize();
    }
    c.Finalize();
    const Evidence& ev = c.evidence();
    ASSERT_EQ(ev.messages.size(), 4u) << split;
    int queued = 0, with_sender = 0, ab12 = 0;
    for (const MessageRec& m : ev.messages) {
      queued += m.queued;
      with_sender += m.sender != kNone;
      if (m.ts == in[0].ts.micros()) {  // AB12 of mail.log.1, completed by mail.log
        ++ab12;
        EXPECT_FALSE(m.queued) << split;
        EXPECT_EQ(m.rcpt_count, 2u) << split;
        EXPECT_NE(m.user, kNone) << split;
      }
      if (m.ts == in[1].ts.micros()) {  // CD34: still queued, once
        EXPECT_TRUE(m.queued) << split;
        EXPECT_NE(m.sender, kNone) << split;
      }
    }
    EXPECT_EQ(ab12, 1) << split;
    EXPECT_EQ(queued, 1) << split;
    EXPECT_EQ(with_sender, 3) << split;  // AB12, CD34 and the reused AB12; EF56 has none
  }
}

}  // namespace
}  // namespace mxir::detect::test

namespace mxir::detect::test {
namespace {

// A message an MTA log left queued at the end of one read, then seen leaving in a later read of
// the grown log (issue #18): one message, whichever order the reads and the passes come in.
TEST(QueuedMessages, ALaterReadOfTheSameMessageReplacesTheQueuedOne) {
  auto logged = [](const std::string& queue_id, double first, const std::string& state, int rcpts) {
    std::vector<std::string> to;
    for (int i = 0; i < rcpts; ++i) to.push_back("u" + std::to_string(i) + "@far.example");
    Event e =
        Message(first, "s1", "203.0.113.7", "sales@acme.example", "sales@acme.example", to, "");
    e.queue_id = queue_id;
    e.server_name = "mx";
    e.state = state;
    return e;
  };
  for (int split = 0; split < 3; ++split) {  // Finalize after 0, 1 or 2 of the three records
    EvidenceCollector c(60);
    std::vector<Event> in = {logged("AB12", 10, "queued", 1), logged("AB12", 10, "queued", 2),
                             logged("AB12", 10, "", 2),
                             // the same queue id reused later: another message
                             logged("AB12", 90000, "", 1), logged("CD34", 20, "queued", 1)};
    for (int i = 0; i < 5; ++i) {
      c.Add(in[i]);
      if (i == split) c.Finalize();
    }
    c.Finalize();
    const Evidence& ev = c.evidence();
    ASSERT_EQ(ev.messages.size(), 3u) << split;
    EXPECT_FALSE(ev.messages[0].queued);  // AB12 left: its outcome replaced the queued record
    EXPECT_EQ(ev.messages[0].rcpt_count, 2u);
    EXPECT_TRUE(ev.messages[1].queued);  // CD34 is still queued: counted once
    EXPECT_FALSE(ev.messages[2].queued);
    // A queued record read again after its outcome adds nothing.
    c.Add(in[1]);
    c.Finalize();
    EXPECT_EQ(c.evidence().messages.size(), 3u) << split;
  }
}

}  // namespace
}  // namespace mxir::detect::test
