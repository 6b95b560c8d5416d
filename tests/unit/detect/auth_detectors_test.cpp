// Login detectors: stale_credentials, brute_force, password_spraying, credential_stuffing,
// account_compromise, session_burst, and the merging of one attempt seen by several sources.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "test_events.h"

namespace mxir::detect::test {
namespace {

using Kinds = std::vector<std::string>;

TEST(StaleCredentials, SameWrongSecretAtASteadyPaceIsAStaleDevice) {
  std::vector<Event> v;
  AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  AddNormal(&v);
  DetectResult r = Detect(v);
  auto stale = OfKind(r, "stale_credentials");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0]->client_ip, "10.0.0.5");
  EXPECT_EQ(stale[0]->user, "bob@acme.example");
  EXPECT_EQ(stale[0]->severity, Severity::kMedium);
  EXPECT_EQ(stale[0]->playbook, "stale-credentials");
  EXPECT_EQ(stale[0]->counts["failures"], 20);
  EXPECT_EQ(stale[0]->counts["distinct_secrets"], 1);
  EXPECT_EQ(KindsAtLeast(r, Severity::kMedium), Kinds{"stale_credentials"});
  EXPECT_FALSE(stale[0]->explanation.empty());
  EXPECT_FALSE(stale[0]->next_steps.empty());
}

TEST(StaleCredentials, WithoutFingerprintsCadenceDecides) {
  std::vector<Event> v;
  AddStale(&v, "postfix", "10.0.0.6", "bob@acme.example", 12, 300, "");
  DetectResult r = Detect(v);
  EXPECT_EQ(KindsAtLeast(r, Severity::kInfo), Kinds{"stale_credentials"});
}

TEST(StaleCredentials, LocalityChangesOnlySeverityAndWording) {
  std::vector<Event> inside, outside;
  AddStale(&inside, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  AddStale(&outside, "pcap", "198.51.100.20", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  DetectResult a = Detect(inside), b = Detect(outside);
  ASSERT_EQ(a.findings.size(), 1u);
  ASSERT_EQ(b.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].kind, b.findings[0].kind);
  EXPECT_EQ(a.findings[0].counts, b.findings[0].counts);
  EXPECT_EQ(a.findings[0].severity, Severity::kMedium);
  EXPECT_EQ(b.findings[0].severity, Severity::kLow);
  EXPECT_NE(a.findings[0].explanation, b.findings[0].explanation);
  EXPECT_NE(a.findings[0].next_steps, b.findings[0].next_steps);
  // And --internal moves the same host inside without changing the kind.
  Locality wide = DefaultLocality();
  ASSERT_TRUE(wide.AddInternal("198.51.100.0/24").ok());
  DetectResult c = Detect(outside, wide);
  ASSERT_EQ(c.findings.size(), 1u);
  EXPECT_EQ(c.findings[0].kind, "stale_credentials");
  EXPECT_EQ(c.findings[0].severity, Severity::kMedium);
}

TEST(StaleCredentials, FixedDeviceLoggingInIsNotACompromise) {
  std::vector<Event> v;
  AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  v.push_back(Auth(20 * 60 + 30, "pcap", "fixed", "10.0.0.5", "bob@acme.example", "success",
                   "bbbbbbbbbbbbbbbb"));
  DetectResult r = Detect(v);
  EXPECT_TRUE(OfKind(r, "account_compromise").empty());
  EXPECT_TRUE(OfKind(r, "brute_force").empty());
  EXPECT_EQ(OfKind(r, "stale_credentials").size(), 1u);
}

TEST(BruteForce, ManySecretsIsAnAttackNeverAStaleDevice) {
  std::vector<Event> v;
  for (int i = 0; i < 30; ++i) {
    v.push_back(Auth(i * 2, "dovecot", "b" + std::to_string(i / 3), "203.0.113.9",
                     "alice@acme.example", "failure", "dovecot-sha1:" + std::to_string(100 + i)));
  }
  AddNormal(&v);
  DetectResult r = Detect(v);
  auto bf = OfKind(r, "brute_force");
  ASSERT_EQ(bf.size(), 1u);
  EXPECT_EQ(bf[0]->client_ip, "203.0.113.9");
  EXPECT_EQ(bf[0]->user, "alice@acme.example");
  EXPECT_EQ(bf[0]->severity, Severity::kHigh);
  EXPECT_TRUE(OfKind(r, "stale_credentials").empty());
  EXPECT_EQ(KindsAtLeast(r, Severity::kMedium), Kinds{"brute_force"});
}

TEST(BruteForce, WithoutFingerprintsManyAttemptsPerSessionIsAnAttack) {
  std::vector<Event> v;
  // Regular pace, but five tries in each connection: no saved-password device does that.
  for (int i = 0; i < 40; ++i) {
    v.push_back(Auth(i * 10, "postfix", "p" + std::to_string(i / 5), "203.0.113.10",
                     "alice@acme.example", "failure"));
  }
  DetectResult r = Detect(v);
  EXPECT_EQ(KindsAtLeast(r, Severity::kInfo), Kinds{"brute_force"});
}

TEST(BruteForce, InsideIsMoreSevereSameKind) {
  std::vector<Event> v;
  for (int i = 0; i < 30; ++i) {
    v.push_back(Auth(i * 2, "dovecot", "b" + std::to_string(i), "10.1.2.3", "alice@acme.example",
                     "failure", "dovecot-sha1:" + std::to_string(i)));
  }
  DetectResult r = Detect(v);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].kind, "brute_force");
  EXPECT_EQ(r.findings[0].severity, Severity::kCritical);
}

TEST(PasswordSpraying, ManyAccountsFewTriesFromOneHost) {
  std::vector<Event> v;
  for (int u = 0; u < 8; ++u) {
    for (int k = 0; k < 2; ++k) {
      v.push_back(Auth(u * 60 + k * 7, "dovecot", "sp" + std::to_string(u * 2 + k), "203.0.113.30",
                       "user" + std::to_string(u) + "@acme.example", "failure",
                       k == 0 ? "1000000000000000" : "2000000000000000"));
    }
  }
  DetectResult r = Detect(v);
  auto sp = OfKind(r, "password_spraying");
  ASSERT_EQ(sp.size(), 1u);
  EXPECT_EQ(sp[0]->client_ip, "203.0.113.30");
  EXPECT_EQ(sp[0]->users.size(), 8u);
  EXPECT_EQ(KindsAtLeast(r, Severity::kInfo), Kinds{"password_spraying"});
}

TEST(PasswordSpraying, OneSecretAcrossAccountsFromManyHosts) {
  std::vector<Event> v;
  for (int u = 0; u < 6; ++u) {
    v.push_back(Auth(u * 600, "dovecot", "ds" + std::to_string(u),
                     "198.51.100." + std::to_string(40 + u),
                     "user" + std::to_string(u) + "@acme.example", "failure", "5555555555555555"));
  }
  DetectResult r = Detect(v);
  auto sp = OfKind(r, "password_spraying");
  ASSERT_EQ(sp.size(), 1u);
  EXPECT_EQ(sp[0]->counts["clients"], 6);
  EXPECT_EQ(sp[0]->users.size(), 6u);
}

TEST(CredentialStuffing, EachAccountOnceWithItsOwnSecret) {
  std::vector<Event> v;
  for (int u = 0; u < 12; ++u) {
    v.push_back(Auth(u * 30, "dovecot", "cs" + std::to_string(u), "203.0.113.50",
                     "user" + std::to_string(u) + "@acme.example", "failure",
                     "c" + std::to_string(1000000000000000 + u)));
  }
  DetectResult r = Detect(v);
  EXPECT_EQ(KindsAtLeast(r, Severity::kInfo), Kinds{"credential_stuffing"});
}

TEST(CredentialStuffing, DistributedOverManyHostsWithoutFingerprints) {
  std::vector<Event> v;
  for (int u = 0; u < 15; ++u) {
    v.push_back(Auth(u * 100, "postfix", "d" + std::to_string(u),
                     "198.51.100." + std::to_string(100 + u),
                     "user" + std::to_string(u) + "@acme.example", "failure"));
  }
  DetectResult r = Detect(v);
  auto cs = OfKind(r, "credential_stuffing");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]->counts["clients"], 15);
  EXPECT_TRUE(cs[0]->client_ip.empty());
}

TEST(AccountCompromise, SuccessAfterBruteForce) {
  std::vector<Event> v;
  for (int i = 0; i < 25; ++i) {
    v.push_back(Auth(i * 3, "dovecot", "b" + std::to_string(i), "203.0.113.9", "alice@acme.example",
                     "failure", "dovecot-sha1:" + std::to_string(i)));
  }
  v.push_back(Auth(100, "dovecot", "win", "203.0.113.9", "alice@acme.example", "success",
                   "dovecot-sha1:999"));
  DetectResult r = Detect(v);
  auto ac = OfKind(r, "account_compromise");
  ASSERT_EQ(ac.size(), 1u);
  EXPECT_EQ(ac[0]->severity, Severity::kCritical);
  EXPECT_EQ(ac[0]->user, "alice@acme.example");
  EXPECT_EQ(ac[0]->playbook, "compromised-account");
  EXPECT_EQ(r.findings[0].kind, "account_compromise");  // worst first
}

TEST(AccountCompromise, SuccessFromANewHostAfterAttackFailuresIsLoginAfterAttack) {
  std::vector<Event> v;
  for (int i = 0; i < 25; ++i) {
    v.push_back(Auth(i * 3, "dovecot", "b" + std::to_string(i), "203.0.113.9", "alice@acme.example",
                     "failure", "dovecot-sha1:" + std::to_string(i)));
  }
  v.push_back(Auth(3600, "dovecot", "later", "198.51.100.77", "alice@acme.example", "success"));
  DetectResult r = Detect(v);
  // A host never seen for the account, and no other sign: a person confirms (spec/events.md).
  EXPECT_TRUE(OfKind(r, "account_compromise").empty());
  auto la = OfKind(r, "login_after_attack");
  ASSERT_EQ(la.size(), 1u);
  EXPECT_EQ(la[0]->client_ip, "198.51.100.77");
  EXPECT_EQ(la[0]->severity, Severity::kMedium);
}

TEST(Merge, OneAttemptSeenByThreeSourcesCountsOnce) {
  std::vector<Event> v;
  for (int i = 0; i < 10; ++i) {
    double t = i * 60;
    std::string s = std::to_string(i);
    v.push_back(
        Auth(t, "pcap", "c" + s, "10.0.0.5", "bob@acme.example", "failure", "aaaaaaaaaaaaaaaa"));
    v.push_back(Auth(t + 0.4, "postfix", "p" + s, "10.0.0.5", "", "failure"));  // no user
    v.push_back(
        Auth(t + 0.5, "dovecot", "d" + s, "10.0.0.5", "bob", "failure", "dovecot-sha1:abc123"));
  }
  DetectEngine engine({}, DefaultLocality());
  for (const auto& e : v) engine.Add(e);
  DetectResult r = engine.Finish();
  auto stale = OfKind(r, "stale_credentials");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0]->counts["failures"], 10);
  EXPECT_EQ(stale[0]->user, "bob@acme.example");
  EXPECT_EQ(engine.counters().Get("auth_merged_across_sources"), 20);
}

TEST(Merge, TwoAttemptsFromOneSourceAreTwo) {
  std::vector<Event> v;
  for (int i = 0; i < 10; ++i) {
    v.push_back(Auth(i * 60, "dovecot", "a" + std::to_string(i), "10.0.0.5", "bob@acme.example",
                     "failure", "aaaaaaaaaaaaaaaa"));
    v.push_back(Auth(i * 60 + 0.5, "dovecot", "b" + std::to_string(i), "10.0.0.5",
                     "bob@acme.example", "failure", "aaaaaaaaaaaaaaaa"));
  }
  DetectResult r = Detect(v);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].counts["failures"], 20);
}

TEST(Merge, DifferentAccountsOrOutcomesAreNotMerged) {
  std::vector<Event> v;
  for (int i = 0; i < 10; ++i) {
    v.push_back(Auth(i * 60, "pcap", "c" + std::to_string(i), "10.0.0.5", "bob@acme.example",
                     "failure", "aaaaaaaaaaaaaaaa"));
    v.push_back(Auth(i * 60 + 0.5, "dovecot", "d" + std::to_string(i), "10.0.0.5",
                     "eve@acme.example", "failure", "bbbbbbbbbbbbbbbb"));
  }
  DetectResult r = Detect(v);
  EXPECT_EQ(OfKind(r, "stale_credentials").size(), 2u);
}

TEST(SessionBurst, EncryptedSubmissionSessionsWithoutLogsThenFullVerdict) {
  std::vector<Event> pcap;
  for (int i = 0; i < 15; ++i) {
    std::string s = "tls" + std::to_string(i);
    for (EventKind k : {EventKind::kSessionStart, EventKind::kTls, EventKind::kSessionEnd}) {
      Event e = Base(i * 60 + (k == EventKind::kSessionEnd ? 2 : 0), "pcap", s, "10.0.0.8", k);
      e.server_port = 587;
      if (k == EventKind::kTls) e.how = "starttls";
      if (k == EventKind::kSessionEnd) e.duration_s = 2;
      pcap.push_back(e);
    }
  }
  DetectResult r = Detect(pcap);
  auto burst = OfKind(r, "session_burst");
  ASSERT_EQ(burst.size(), 1u);
  EXPECT_EQ(burst[0]->client_ip, "10.0.0.8");
  EXPECT_EQ(burst[0]->counts["sessions"], 15);
  // Adding the server's log gives the verdict, and the burst is no longer reported.
  std::vector<Event> both = pcap;
  AddStale(&both, "dovecot", "10.0.0.8", "bob@acme.example", 15, 60, "dovecot-sha1:77", 1);
  DetectResult full = Detect(both);
  EXPECT_EQ(KindsAtLeast(full, Severity::kInfo), Kinds{"stale_credentials"});
}

TEST(Engine, OrderOfEventsDoesNotChangeFindings) {
  std::vector<Event> v;
  AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  for (int i = 0; i < 25; ++i) {
    v.push_back(Auth(i * 3, "dovecot", "b" + std::to_string(i), "203.0.113.9", "alice@acme.example",
                     "failure", "dovecot-sha1:" + std::to_string(i)));
  }
  AddNormal(&v);
  DetectResult a = Detect(v);
  std::mt19937 rng(42);
  std::shuffle(v.begin(), v.end(), rng);
  DetectEngine engine({}, DefaultLocality());
  for (const auto& e : v) engine.Add(e);
  DetectResult b = engine.Finish();
  EXPECT_GT(engine.counters().Get("out_of_order"), 0);
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (size_t i = 0; i < a.findings.size(); ++i) {
    EXPECT_EQ(FindingToJson(a.findings[i]), FindingToJson(b.findings[i]));
  }
}

TEST(Engine, NormalTrafficGivesNothingMediumOrAbove) {
  std::vector<Event> v;
  AddNormal(&v);
  AddNormal(&v, 86400);
  DetectResult r = Detect(v, DefaultLocality({"acme.example"}));
  EXPECT_EQ(KindsAtLeast(r, Severity::kMedium), Kinds{});
}

TEST(Engine, AuthWithoutClientIsCountedAndSkipped) {
  DetectEngine engine({}, DefaultLocality());
  engine.Add(Auth(0, "dovecot", "x", "", "bob@acme.example", "failure"));
  Event no_outcome = Auth(1, "dovecot", "y", "10.0.0.1", "bob@acme.example", "");
  engine.Add(no_outcome);
  DetectResult r = engine.Finish();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(engine.counters().Get("skipped.auth_without_client_ip"), 1);
  EXPECT_EQ(engine.counters().Get("skipped.auth_without_outcome"), 1);
}

}  // namespace
}  // namespace mxir::detect::test

namespace mxir::detect::test {
namespace {

// A success after an attack on the account is judged by where it comes from: the attacker's
// own network (IPv4 /24, IPv6 /64) counts against it. Two IPv6 /64s that differ only in their
// first bit (2001:db8:1:2::/64 and a001:db8:1:2::/64) are different networks: the login from the
// first is judged as it is when the attacker is anywhere else.
TEST(CompromiseJudging, AttackerNetworksAreWholeIpv6Prefixes) {
  auto run = [](const std::string& attacker) {
    std::vector<Event> v;
    for (int d = 0; d < 3; ++d)  // bob's own computer, on three days
      v.push_back(Auth(d * 86400.0, "dovecot", "own" + std::to_string(d), "192.0.2.10",
                       "bob@acme.example", "success"));
    for (int i = 0; i < 120; ++i)  // guessing bob's password: a new one every time
      v.push_back(Auth(4 * 86400.0 + i * 3, "dovecot", "g" + std::to_string(i), attacker,
                       "bob@acme.example", "failure", "guess" + std::to_string(i)));
    v.push_back(
        Auth(4 * 86400.0 + 900, "dovecot", "in", "2001:db8:1:2::9", "bob@acme.example", "success"));
    DetectResult r = Detect(v);
    std::string kinds;
    for (const auto& f : r.findings) {
      kinds += f.kind + "/" + SeverityName(f.severity) + " ";
    }
    return kinds;
  };
  const std::string elsewhere = run("198.51.100.7");
  EXPECT_EQ(run("a001:db8:1:2::5"), elsewhere);
  EXPECT_EQ(run("2001:db8:77::5"), elsewhere);
  // The rule itself: the attacker in the login's own /64 is judged differently.
  EXPECT_NE(run("2001:db8:1:2::5"), elsewhere);
}

}  // namespace
}  // namespace mxir::detect::test
