// Guard decisions: ownership, investigation modes, the per-message cap at N and N+1, windows at
// their edges, the null-sender bucket, reservation -> commit -> expiry, persistence and reload.
#include "relay/guard.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "test_config.h"

namespace mxir::relay {
namespace {

using testing::TestConfig;

constexpr int64_t kSec = 1000000;
const Timestamp kT0 = Timestamp::FromSeconds(1796000000);

PolicyRequest Req(const std::string& state, const std::string& login, const std::string& sender,
                  const std::string& rcpt, const std::string& instance, int count = 0,
                  const std::string& client = "192.0.2.10") {
  PolicyRequest r;
  r.attributes = {{"request", "smtpd_access_policy"},
                  {"protocol_state", state},
                  {"client_address", client},
                  {"sasl_username", login},
                  {"sender", sender},
                  {"recipient", rcpt},
                  {"instance", instance},
                  {"recipient_count", std::to_string(count)}};
  return r;
}

std::string Verb(const Result<Decision>& d) {
  if (!d.ok()) return "ERROR";
  return d->action.substr(0, d->action.find(' '));
}

// Sends one whole message: RCPT per recipient, DATA, END-OF-MESSAGE. Returns the first non-DUNNO
// answer, or "DUNNO".
std::string Send(Guard& g, const std::string& login, const std::string& sender,
                 const std::vector<std::string>& rcpts, const std::string& inst,
                 const std::string& client = "192.0.2.10") {
  int accepted = 0;
  for (const auto& r : rcpts) {
    auto d = g.Decide(Req("RCPT", login, sender, r, inst, 0, client));
    if (!d.ok()) return "ERROR";
    if (d->action != "DUNNO") return d->action;
    ++accepted;
  }
  auto d = g.Decide(Req("DATA", login, sender, "", inst, accepted, client));
  if (!d.ok() || d->action != "DUNNO") return d.ok() ? d->action : "ERROR";
  auto e = g.Decide(Req("END-OF-MESSAGE", login, sender, "", inst, accepted, client));
  return e.ok() ? e->action : "ERROR";
}

class MemStore final : public CounterStore {
 public:
  Status Append(const std::vector<CounterRow>& rows) override {
    if (fail) return MakeError(ErrorCode::kIo, "disk full (simulated)");
    all.insert(all.end(), rows.begin(), rows.end());
    return Status::Ok();
  }
  Result<std::vector<CounterRow>> LoadSince(int64_t ts) override {
    std::vector<CounterRow> out;
    for (const auto& r : all) {
      if (r.ts_us > ts) out.push_back(r);
    }
    return out;
  }
  Status PruneBefore(int64_t) override { return Status::Ok(); }
  std::vector<CounterRow> all;
  bool fail = false;
};

TEST(Guard, SenderOwnership) {
  ManualClock clock(kT0);
  Guard g(TestConfig(), nullptr, clock);
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@evil.example", "x@ext.example", "i1"))),
            "REJECT");
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "alice@company.example", "bob@company.example",
                              "x@ext.example", "i2"))),
            "REJECT");
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "alice@company.example", "ALICE@Company.Example",
                              "x@ext.example", "i3"))),
            "DUNNO");
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company2.example", "x@ext.example", "i4"))),
            "DUNNO");
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "", "bob@company.example", "x@ext.example", "i5"))),
            "REJECT");
  auto d = g.Decide(Req("RCPT", "relay", "bob@evil.example", "x@ext.example", "i6"));
  EXPECT_EQ(d->action.rfind("REJECT 5.7.1", 0), 0u);
  EXPECT_EQ(d->rule, "sender_domain");
}

TEST(Guard, InvestigatedAccountInEachMode) {
  for (auto [mode, verb] : {std::pair{"hold", "HOLD"}, std::pair{"reject", "REJECT"},
                            std::pair{"defer", "DEFER_IF_PERMIT"}}) {
    ManualClock clock(kT0);
    Guard g(TestConfig(std::string("under_investigation = ") + mode + "\n"), nullptr, clock);
    // From the config (mallory) and from a case finding (the relay login itself).
    auto d = g.Decide(Req("RCPT", "relay", "Mallory@company.example", "x@ext.example", "i1"));
    EXPECT_EQ(Verb(d), verb) << mode;
    EXPECT_EQ(d->rule, "investigation");
    EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company.example", "x@ext.example", "i2"))),
              "DUNNO");
    g.SetInvestigated({"alice@company.example"});
    EXPECT_EQ(Verb(g.Decide(Req("RCPT", "alice@company.example", "alice@company.example",
                                "x@ext.example", "i3"))),
              verb);
    // Released: mallory no longer listed after SetInvestigated replaced the set.
    EXPECT_EQ(
        Verb(g.Decide(Req("RCPT", "relay", "mallory@company.example", "x@ext.example", "i4"))),
        "DUNNO");
  }
}

TEST(Guard, RecipientCapAtNAndNPlusOne) {
  ManualClock clock(kT0);
  Guard g(TestConfig(), nullptr, clock);  // cap 5
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company.example",
                                "r" + std::to_string(i) + "@a.example", "m1"))),
              "DUNNO")
        << i;
  }
  auto d = g.Decide(Req("RCPT", "relay", "bob@company.example", "r6@a.example", "m1"));
  EXPECT_EQ(d->action.rfind("452 4.5.3", 0), 0u) << d->action;
  EXPECT_EQ(d->rule, "recipient_cap");
  // DATA with more recipients than the cap (e.g. the policy restarted mid-message) is refused.
  EXPECT_EQ(Verb(g.Decide(Req("DATA", "relay", "carol@company.example", "", "m2", 6))), "452");
}

TEST(Guard, AccountRecipientWindowEdges) {
  ManualClock clock(kT0);
  Guard g(TestConfig(), nullptr, clock);  // 20 recipients/h per account
  for (int m = 0; m < 4; ++m) {
    EXPECT_EQ(Send(g, "relay", "bob@company.example",
                   {"a@d1.example", "b@d1.example", "c@d1.example", "d@d1.example", "e@d1.example"},
                   "m" + std::to_string(m)),
              "DUNNO");
    clock.Advance(10 * kSec);
  }
  // 20 used: the 21st is deferred (4.7.1), for bob only.
  auto d = g.Decide(Req("RCPT", "relay", "bob@company.example", "f@d1.example", "m9"));
  EXPECT_EQ(d->action.rfind("DEFER_IF_PERMIT 4.7.1", 0), 0u) << d->action;
  EXPECT_EQ(d->rule, "account_recipient_window");
  EXPECT_EQ(d->counts.account_recipients, 20);
  EXPECT_EQ(Send(g, "relay", "carol@company.example", {"x@d1.example"}, "c1"), "DUNNO");
  // The first message was committed at kT0: it leaves the window at kT0 + 1h exactly.
  clock.Set(Timestamp::FromMicros(kT0.micros() + 3600 * kSec - 1));
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company.example", "f@d1.example", "m10"))),
            "DEFER_IF_PERMIT");
  clock.Set(Timestamp::FromMicros(kT0.micros() + 3600 * kSec));
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company.example", "f@d1.example", "m11"))),
            "DUNNO");
}

TEST(Guard, MessageDomainAndClientWindows) {
  ManualClock clock(kT0);
  Guard g(TestConfig(), nullptr, clock);  // 6 messages/h, 4 domains/h, 30 rcpts/h per client
  for (int m = 0; m < 6; ++m) {
    EXPECT_EQ(Send(g, "relay", "dan@company.example", {"x@d1.example"}, "m" + std::to_string(m)),
              "DUNNO");
  }
  auto d = g.Decide(Req("RCPT", "relay", "dan@company.example", "x@d1.example", "m7"));
  EXPECT_EQ(d->rule, "account_message_window");
  // Domains: 4 distinct pass, the 5th is deferred; a known domain still passes.
  EXPECT_EQ(Send(g, "relay", "eve@company.example",
                 {"a@d1.example", "a@d2.example", "a@d3.example", "a@d4.example"}, "e1"),
            "DUNNO");
  auto e = g.Decide(Req("RCPT", "relay", "eve@company.example", "a@d5.example", "e2"));
  EXPECT_EQ(e->rule, "account_domain_window");
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "eve@company.example", "b@d2.example", "e3"))),
            "DUNNO");
  // Client: 6 + 4 + 1 pending so far from 192.0.2.10; other senders fill it to 30.
  int sent = 11;
  for (int i = 0; sent < 30; ++i) {
    std::string who = "u" + std::to_string(i) + "@company.example";
    std::vector<std::string> rc;
    for (int k = 0; k < 5 && sent < 30; ++k, ++sent)
      rc.push_back("r" + std::to_string(k) + "@d1.example");
    EXPECT_EQ(Send(g, "relay", who, rc, "u" + std::to_string(i)), "DUNNO");
  }
  auto c = g.Decide(Req("RCPT", "relay", "zed@company.example", "r@d1.example", "z1"));
  EXPECT_EQ(c->rule, "client_recipient_window") << c->action;
  EXPECT_EQ(Verb(g.Decide(Req("RCPT", "relay", "zed@company.example", "r@d1.example", "z2", 0,
                              "192.0.2.11"))),
            "DUNNO");
}

TEST(Guard, NullSenderHasItsOwnTightBucket) {
  ManualClock clock(kT0);
  Guard g(TestConfig(), nullptr, clock);  // 3 null-sender recipients/h per login
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Send(g, "relay", "", {"x@ext.example"}, "n" + std::to_string(i)), "DUNNO");
  }
  auto d = g.Decide(Req("RCPT", "relay", "", "y@ext.example", "n9"));
  EXPECT_EQ(d->rule, "null_sender_window");
  // Ordinary mail of the same login is not affected.
  EXPECT_EQ(Send(g, "relay", "bob@company.example", {"x@ext.example"}, "b1"), "DUNNO");
}

TEST(Guard, ReservationsCommitOnlyAtEndOfMessageAndExpire) {
  ManualClock clock(kT0);
  MemStore store;
  Guard g(TestConfig(), &store, clock);
  // RCPT accepted, DATA reserved, but the message never completes (rejected later, or the
  // client went away): nothing is committed, and the reservation expires after 10 minutes.
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company.example",
                                "r" + std::to_string(i) + "@d.example", "lost"))),
              "DUNNO");
  }
  ASSERT_EQ(Verb(g.Decide(Req("DATA", "relay", "bob@company.example", "", "lost", 4))), "DUNNO");
  EXPECT_EQ(g.CountsOf("a:bob@company.example").rcpts, 4);  // reserved
  EXPECT_TRUE(store.all.empty());
  clock.Advance(600 * kSec);
  EXPECT_EQ(Send(g, "relay", "carol@company.example", {"x@d.example"}, "c"), "DUNNO");
  EXPECT_EQ(g.CountsOf("a:bob@company.example").rcpts, 0);
  EXPECT_EQ(g.active_instances(), 0u);
  // A completed message is committed with the final recipient_count.
  EXPECT_EQ(Send(g, "relay", "bob@company.example", {"a@d.example", "b@d.example"}, "ok"), "DUNNO");
  EXPECT_EQ(g.CountsOf("a:bob@company.example").rcpts, 2);
  EXPECT_EQ(g.CountsOf("a:bob@company.example").msgs, 1);
  ASSERT_EQ(store.all.size(), 4u);  // carol and bob, account + client rows each
}

TEST(Guard, StoreFailureMeansNoAnswer) {
  ManualClock clock(kT0);
  MemStore store;
  Guard g(TestConfig(), &store, clock);
  ASSERT_EQ(Verb(g.Decide(Req("RCPT", "relay", "bob@company.example", "a@d.example", "i"))),
            "DUNNO");
  ASSERT_EQ(Verb(g.Decide(Req("DATA", "relay", "bob@company.example", "", "i", 1))), "DUNNO");
  store.fail = true;
  EXPECT_FALSE(g.Decide(Req("END-OF-MESSAGE", "relay", "bob@company.example", "", "i", 1)).ok());
}

TEST(Guard, NonPolicyAndMissingRequests) {
  ManualClock clock(kT0);
  Guard g(TestConfig(), nullptr, clock);
  PolicyRequest other;
  other.attributes = {{"request", "something_else"}};
  EXPECT_EQ(g.Decide(other)->action, "DUNNO");
  PolicyRequest none;
  none.attributes = {{"protocol_state", "RCPT"}};
  EXPECT_FALSE(g.Decide(none).ok());
  auto connect = Req("CONNECT", "relay", "", "", "i");
  EXPECT_EQ(g.Decide(connect)->rule, "stage_not_guarded");
  auto eom = Req("END-OF-MESSAGE", "relay", "bob@company.example", "", "x");
  eom.attributes.pop_back();  // no recipient_count
  EXPECT_FALSE(g.Decide(eom).ok());
}

TEST(Guard, CountersSurviveRestartAndReload) {
  std::string dir = mxir::testing::MakeTempDir("mxir-relay-guard");
  ManualClock clock(kT0);
  {
    auto store = SqliteCounterStore::Open(dir + "/c.sqlite");
    ASSERT_TRUE(store.ok()) << store.error().message;
    Guard g(TestConfig(), store->get(), clock);
    ASSERT_TRUE(g.Load().ok());
    for (int m = 0; m < 4; ++m) {
      ASSERT_EQ(Send(g, "relay", "bob@company.example",
                     {"a@d.example", "b@d.example", "c@d.example", "d@d.example", "e@d.example"},
                     "m" + std::to_string(m)),
                "DUNNO");
    }
    g.SetConfig(TestConfig());  // a reload keeps the counts
    EXPECT_EQ(g.CountsOf("a:bob@company.example").rcpts, 20);
  }
  clock.Advance(60 * kSec);
  auto store = SqliteCounterStore::Open(dir + "/c.sqlite");
  ASSERT_TRUE(store.ok());
  Guard g2(TestConfig(), store->get(), clock);
  ASSERT_TRUE(g2.Load().ok());
  EXPECT_EQ(g2.CountsOf("a:bob@company.example").rcpts, 20);
  EXPECT_EQ(g2.CountsOf("c:192.0.2.10").rcpts, 20);
  EXPECT_EQ(Verb(g2.Decide(Req("RCPT", "relay", "bob@company.example", "z@d.example", "n1"))),
            "DEFER_IF_PERMIT");
  // Rows older than the window are not loaded.
  clock.Advance(3600 * kSec);
  Guard g3(TestConfig(), store->get(), clock);
  ASSERT_TRUE(g3.Load().ok());
  EXPECT_EQ(g3.CountsOf("a:bob@company.example").rcpts, 0);
}

// Property: with random traffic, a committed window never exceeds its limit, and the counts
// equal what a brute-force recount of the accepted messages gives.
TEST(Guard, RandomTrafficNeverExceedsLimits) {
  std::mt19937 rng(2026);
  ManualClock clock(kT0);
  auto cfg = TestConfig();
  Guard g(cfg, nullptr, clock);
  std::vector<std::pair<int64_t, std::pair<std::string, int>>> accepted;  // ts, (sender, rcpts)
  for (int m = 0; m < 3000; ++m) {
    clock.Advance((rng() % 30) * kSec);
    std::string sender = "u" + std::to_string(rng() % 4) + "@company.example";
    int n = 1 + rng() % 7;
    std::vector<std::string> rc;
    for (int k = 0; k < n; ++k)
      rc.push_back("r" + std::to_string(k) + "@d" + std::to_string(rng() % 3) + ".example");
    std::string client = "192.0.2." + std::to_string(rng() % 3);
    std::string inst = "m" + std::to_string(m);
    int ok_rcpts = 0;
    bool stop = false;
    for (const auto& r : rc) {
      auto d = g.Decide(Req("RCPT", "relay", sender, r, inst, 0, client));
      ASSERT_TRUE(d.ok());
      if (d->action == "DUNNO") {
        ++ok_rcpts;
      } else {
        stop = true;
        break;
      }
    }
    (void)stop;
    if (ok_rcpts == 0) continue;
    ASSERT_EQ(g.Decide(Req("DATA", "relay", sender, "", inst, ok_rcpts, client))->action, "DUNNO");
    ASSERT_EQ(g.Decide(Req("END-OF-MESSAGE", "relay", sender, "", inst, ok_rcpts, client))->action,
              "DUNNO");
    accepted.push_back({clock.Now().micros(), {sender, ok_rcpts}});
    int64_t horizon = clock.Now().micros() - 3600 * kSec;
    int64_t rc_sum = 0, msg_sum = 0;
    for (const auto& [ts, sm] : accepted) {
      if (ts > horizon && sm.first == sender) {
        rc_sum += sm.second;
        ++msg_sum;
      }
    }
    ASSERT_LE(rc_sum, cfg.max_recipients_per_hour);
    ASSERT_LE(msg_sum, cfg.max_messages_per_hour);
    ASSERT_EQ(g.CountsOf("a:" + sender).rcpts, rc_sum);
    ASSERT_LE(ok_rcpts, cfg.max_recipients_per_message);
  }
  EXPECT_GT(accepted.size(), 100u);
}

}  // namespace
}  // namespace mxir::relay
