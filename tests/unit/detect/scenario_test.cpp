// Property tests over generated scenarios (scenario_generator.h), and the named cases of issue 11:
// every attack is found with the right kind, host(s) and account; no finding at medium or above
// that no truth explains (a normal user never gets one); account_compromise only for accounts
// really in an attacker's hands — never for a success from the account's own earlier device.
#include <algorithm>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "scenario_generator.h"

namespace mxir::detect::test {
namespace {

bool Names(const Finding& f, const std::string& account) {
  if (account.empty() || f.user == account) return true;
  return std::find(f.users.begin(), f.users.end(), account) != f.users.end();
}

bool HostMatches(const Finding& f, const Truth& t) {
  if (!t.host.empty()) return f.client_ip == t.host;
  if (!f.client_ip.empty()) return t.hosts.count(f.client_ip) > 0;
  // Several hosts: the ones the finding names must be the attack's.
  if (!f.evidence.contains("top_clients")) return !t.hosts.empty();
  for (const auto& c : f.evidence["top_clients"]) {
    if (!t.hosts.count(c.value("client_ip", std::string()))) return false;
  }
  return true;
}

bool Explains(const Truth& t, const Finding& f) {
  return std::find(t.kinds.begin(), t.kinds.end(), f.kind) != t.kinds.end() &&
         Names(f, t.account) && HostMatches(f, t);
}

std::string Dump(const Scenario& s, const DetectResult& r) {
  std::string out = "seed " + std::to_string(s.seed) + ": " + s.description + "\nfindings:\n";
  for (const auto& f : r.findings) {
    out += "  " + std::string(SeverityName(f.severity)) + " " + f.kind + " host=" + f.client_ip +
           " user=" + f.user + " users=" + std::to_string(f.users.size()) + " " +
           f.evidence.value("verdict", std::string()) + "\n";
  }
  return out;
}

class Scenarios : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Scenarios, AttacksFoundNoFalseVerdicts) {
  Scenario s = ScenarioGenerator(GetParam()).Make();
  DetectResult r = Detect(s.events);
  // Recall: every required truth has a finding with its kind, host(s) and account.
  for (const Truth& t : s.truths) {
    if (!t.required) continue;
    bool found = false;
    for (const auto& f : r.findings) found |= Explains(t, f);
    EXPECT_TRUE(found) << "missed: " << t.what << "\n" << Dump(s, r);
  }
  for (const auto& f : r.findings) {
    // Never account_compromise for an account that is not in an attacker's hands.
    if (f.kind == "account_compromise") {
      EXPECT_TRUE(s.compromised.count(f.user)) << "false compromise of " << f.user << "\n"
                                               << Dump(s, r);
    }
    if (f.severity < Severity::kMedium) continue;
    // Precision: a finding at medium or above must be explained by something that happened
    // (bulk mail from a taken account is a finding of its own, and true).
    bool explained = false;
    for (const Truth& t : s.truths) explained |= Explains(t, f);
    if (f.kind == "bulk_outbound" && s.compromised.count(f.user)) explained = true;
    EXPECT_TRUE(explained) << "false finding " << f.kind << " host=" << f.client_ip
                           << " user=" << f.user << "\n"
                           << Dump(s, r);
  }
}

// 240 scenarios; the seeds are arbitrary and fixed, so a failure reproduces exactly.
INSTANTIATE_TEST_SUITE_P(Generated, Scenarios, ::testing::Range<uint64_t>(1, 241));

// detect --follow feeds the engine in passes (the events stored since the last pass) and asks
// for findings after each: the last pass must give what one run over all events gives, whatever
// the events were cut into.
// Every finding whole (its JSON: counts, evidence, explanation, window), one a line.
std::string FindingsText(const DetectResult& r) {
  std::string out;
  for (const auto& f : r.findings) out += FindingToJson(f).dump() + "\n";
  return out;
}

// Feeds `events` cut at `cuts` (sorted, the last one events.size()), asking for findings after
// each pass; returns the last pass's findings. `locality_at` (optional): the pass before which
// the locality grows to `grown` (detect --follow picks up new case assets between passes).
std::string FollowFindings(const std::vector<Event>& events, const std::vector<size_t>& cuts,
                           size_t locality_at = SIZE_MAX, const Locality* grown = nullptr) {
  DetectEngine engine(DetectConfig{}, DefaultLocality());
  size_t next = 0, pass = 0;
  DetectResult last;
  for (size_t cut : cuts) {
    if (pass++ == locality_at && grown) engine.SetLocality(*grown);
    for (; next < cut; ++next) engine.Add(events[next]);
    last = engine.Pass();
  }
  return FindingsText(last);
}

// The logs as a follower may meet them: each log (in its own time order) read in 1..3 pieces (a
// rotated log read after the current one, a log that grew), the pieces in a random order.
std::vector<Event> ReadInPieces(std::initializer_list<const std::vector<Event>*> logs,
                                std::mt19937_64& rng) {
  std::vector<std::pair<const Event*, const Event*>> pieces;
  for (const auto* l : logs) {
    std::vector<size_t> at{0, l->size()};
    for (uint64_t k = rng() % 3; k > 0; --k) at.push_back(rng() % (l->size() + 1));
    std::sort(at.begin(), at.end());
    for (size_t k = 0; k + 1 < at.size(); ++k)
      pieces.emplace_back(l->data() + at[k], l->data() + at[k + 1]);
  }
  std::shuffle(pieces.begin(), pieces.end(), rng);
  std::vector<Event> order;
  for (const auto& [b, e] : pieces) order.insert(order.end(), b, e);
  return order;
}

// `order` cut into `passes` follow passes at random places: the last pass gives the findings one
// run over all of it gives.
void ExpectLastPassEqualsOneRun(const std::vector<Event>& order, size_t passes,
                                std::mt19937_64& rng, uint64_t seed) {
  const std::string whole = FindingsText(Detect(order));
  std::vector<size_t> cuts;
  for (size_t k = 1; k < passes; ++k) cuts.push_back(rng() % (order.size() + 1));
  cuts.push_back(order.size());
  std::sort(cuts.begin(), cuts.end());
  EXPECT_EQ(FollowFindings(order, cuts), whole) << "seed " << seed << " in " << passes << " passes";
}

TEST(FollowPasses, LastPassEqualsOneRunOverAllEvents) {
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    Scenario s = ScenarioGenerator(seed).Make();
    const std::string whole = FindingsText(Detect(s.events));
    // Cut into 1..8 passes at seed-dependent places.
    std::mt19937_64 rng(seed);
    const size_t passes = 1 + rng() % 8;
    std::vector<size_t> cuts;
    for (size_t i = 1; i < passes; ++i) cuts.push_back(rng() % (s.events.size() + 1));
    cuts.push_back(s.events.size());
    std::sort(cuts.begin(), cuts.end());
    EXPECT_EQ(FollowFindings(s.events, cuts), whole)
        << "seed " << seed << " in " << passes << " passes";
  }
}

// The cuts fall inside one attacker's evidence, or one attacked account's: its first part is
// judged in an earlier pass, the rest must change that judgement as one run would.
TEST(FollowPasses, CutsInsideOneAttackersOrAccountsEvidence) {
  for (uint64_t seed = 1; seed <= 80; ++seed) {
    Scenario s = ScenarioGenerator(seed).Make();
    const std::string whole = FindingsText(Detect(s.events));
    std::mt19937_64 rng(seed * 7919);
    for (const Truth& t : s.truths) {
      // The events of the attack's host(s), else of its account.
      std::vector<size_t> at;
      for (size_t i = 0; i < s.events.size(); ++i) {
        const Event& e = s.events[i];
        const std::string ip = e.client_ip ? e.client_ip->ToString() : std::string();
        const bool host = !ip.empty() && (ip == t.host || t.hosts.count(ip) > 0);
        const bool account =
            t.host.empty() && t.hosts.empty() && !t.account.empty() && e.user == t.account;
        if (host || account) at.push_back(i);
      }
      if (at.size() < 2) continue;
      // 2..6 cuts between the attack's own events.
      std::vector<size_t> cuts;
      const size_t n = 2 + rng() % 5;
      for (size_t k = 0; k < n; ++k) cuts.push_back(at[1 + rng() % (at.size() - 1)]);
      cuts.push_back(s.events.size());
      std::sort(cuts.begin(), cuts.end());
      EXPECT_EQ(FollowFindings(s.events, cuts), whole)
          << "seed " << seed << ", cut inside: " << t.what;
    }
  }
}

// The locality grows between passes (an asset added to the case, or a listed address
// remote_blocklisting added): the last pass equals one run with the grown locality.
TEST(FollowPasses, LocalityGrowingBetweenPassesEqualsOneRunWithIt) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Scenario s = ScenarioGenerator(seed).Make();
    // Every client address of the scenario's truths becomes inside (a critical "infected
    // machine" instead of an outside attacker), plus an address that never appears.
    Locality grown = DefaultLocality();
    for (const Truth& t : s.truths) {
      if (!t.host.empty()) {
        ASSERT_TRUE(grown.AddInternal(t.host).ok());
      }
      for (const auto& h : t.hosts) ASSERT_TRUE(grown.AddInternal(h).ok());
    }
    ASSERT_TRUE(grown.AddInternal("198.51.100.77").ok());
    DetectEngine one(DetectConfig{}, grown);
    for (const Event& e : s.events) one.Add(e);
    const std::string whole = FindingsText(one.Finish());
    std::mt19937_64 rng(seed * 31);
    std::vector<size_t> cuts{rng() % (s.events.size() + 1), rng() % (s.events.size() + 1),
                             s.events.size()};
    std::sort(cuts.begin(), cuts.end());
    // The locality grows before the second or the third (last) pass.
    const size_t when = 1 + rng() % 2;
    EXPECT_EQ(FollowFindings(s.events, cuts, when, &grown), whole)
        << "seed " << seed << ", locality grown before pass " << when + 1;
  }
}

// New events between passes touch one group only (one client's, or one account's events arrive
// after everything else was judged), then many groups at once; and the locality changes between
// every pass, answers about a client judged before included. Each pass must equal one run over
// the events so far with that locality.
TEST(FollowPasses, OneGroupThenManyGroupsWithLocalityChangingEveryPass) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Scenario s = ScenarioGenerator(seed).Make();
    std::mt19937_64 rng(seed * 131);
    // Hold back the events of one client (a truth's host when there is one).
    std::string held;
    for (const Truth& t : s.truths) {
      if (!t.host.empty()) {
        held = t.host;
        break;
      }
    }
    if (held.empty()) continue;
    std::vector<Event> rest, group;
    for (const Event& e : s.events) {
      (e.client_ip && e.client_ip->ToString() == held ? group : rest).push_back(e);
    }
    std::vector<Event> order = rest;
    order.insert(order.end(), group.begin(), group.end());
    Locality inside = DefaultLocality();
    ASSERT_TRUE(inside.AddInternal(held).ok());
    const Locality plain = DefaultLocality();
    // Pass 1: most of the other groups; pass 2: the held client's group alone (inside now);
    // pass 3: nothing new, the locality back; pass 4: the rest of the other groups' events.
    const size_t first = rest.size() * 3 / 4 + rng() % (rest.size() / 4 + 1);
    std::vector<Event> pass1(rest.begin(), rest.begin() + static_cast<ptrdiff_t>(first));
    std::vector<Event> pass4(rest.begin() + static_cast<ptrdiff_t>(first), rest.end());
    DetectEngine engine(DetectConfig{}, plain);
    auto one_run = [&](const std::vector<const std::vector<Event>*>& parts, const Locality& loc) {
      DetectEngine one(DetectConfig{}, loc);
      for (const auto* p : parts) {
        for (const Event& e : *p) one.Add(e);
      }
      return FindingsText(one.Finish());
    };
    for (const Event& e : pass1) engine.Add(e);
    EXPECT_EQ(FindingsText(engine.Pass()), one_run({&pass1}, plain)) << "seed " << seed;
    engine.SetLocality(inside);
    for (const Event& e : group) engine.Add(e);
    EXPECT_EQ(FindingsText(engine.Pass()), one_run({&pass1, &group}, inside))
        << "seed " << seed << ": one group's events, " << held << " inside";
    engine.SetLocality(plain);
    EXPECT_EQ(FindingsText(engine.Pass()), one_run({&pass1, &group}, plain))
        << "seed " << seed << ": nothing new, locality back";
    for (const Event& e : pass4) engine.Add(e);
    EXPECT_EQ(FindingsText(engine.Pass()), one_run({&pass1, &group, &pass4}, plain))
        << "seed " << seed << ": many groups' events";
  }
}

// The locality changes before every pass: it grows by some of the clients' addresses and
// networks (as remote_blocklisting's listed addresses and a person's assets are added to the
// case), and now and then it shrinks back (an asset removed). A pass keeps the inside/outside
// answers of a grown locality and asks only about what was added: each pass must equal one run
// over the events so far with that pass's locality.
TEST(FollowPasses, LocalityGrowingOrShrinkingBeforeEveryPass) {
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    Scenario s = ScenarioGenerator(seed).Make();
    std::mt19937_64 rng(seed * 6007);
    std::vector<std::string> addresses;
    for (const Event& e : s.events) {
      if (e.client_ip) addresses.push_back(e.client_ip->ToString());
    }
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    ASSERT_FALSE(addresses.empty());
    std::vector<std::string> hosts;  // the truths' hosts: their findings change with locality
    for (const Truth& t : s.truths) {
      if (!t.host.empty()) hosts.push_back(t.host);
      hosts.insert(hosts.end(), t.hosts.begin(), t.hosts.end());
    }
    if (hosts.empty()) hosts = addresses;
    std::vector<std::string> assets;  // added to the default locality, in order
    auto locality = [&] {
      Locality loc = DefaultLocality();
      for (const auto& a : assets) EXPECT_TRUE(loc.AddInternal(a).ok()) << a;
      return loc;
    };
    DetectEngine engine(DetectConfig{}, locality());
    const size_t passes = 3 + rng() % 3;
    size_t next = 0;
    for (size_t p = 1; p <= passes; ++p) {
      if (rng() % 4 == 0 && !assets.empty()) {
        assets.resize(rng() % assets.size());  // shrinks
      } else {
        for (size_t k = rng() % 4; k > 0; --k) {
          const std::string& a =
              rng() % 2 ? hosts[rng() % hosts.size()] : addresses[rng() % addresses.size()];
          // The address itself, or its network.
          if (rng() % 3 == 0 && a.find('.') != std::string::npos) {
            assets.push_back(a.substr(0, a.rfind('.')) + ".0/24");
          } else {
            assets.push_back(a);
          }
        }
      }
      engine.SetLocality(locality());
      const size_t cut =
          p == passes ? s.events.size() : next + rng() % (s.events.size() - next + 1);
      for (; next < cut; ++next) engine.Add(s.events[next]);
      DetectEngine one(DetectConfig{}, locality());
      for (size_t i = 0; i < cut; ++i) one.Add(s.events[i]);
      EXPECT_EQ(FindingsText(engine.Pass()), FindingsText(one.Finish()))
          << "seed " << seed << ", pass " << p << " with " << assets.size() << " assets";
    }
  }
}

// Events do not arrive in time order: a rotated log (mail.log.1) read after the current one, a
// second server's log, a capture stored later (the Postfix and Dovecot lines of one login may
// then arrive far apart). A follow pass whose new events lie anywhere in the
// time already judged — and one run over events in any order — gives what one run over the
// events in time order gives.
TEST(FollowPasses, EventsArrivingOutOfTimeOrder) {
  for (uint64_t seed = 1; seed <= 80; ++seed) {
    Scenario s = ScenarioGenerator(seed).Make();
    // Logs give whole seconds (half the seeds): many records share one, and which comes first
    // among them must follow from their content, not from which arrived first.
    if (seed % 2 == 0) {
      for (Event& e : s.events) e.ts = Timestamp::FromSeconds(e.ts.micros() / 1000000);
    }
    const std::string whole = FindingsText(Detect(s.events));
    std::mt19937_64 rng(seed * 977);
    // A random part of the events (a quarter to a half, from anywhere in time) held back for a
    // later pass, the rest in time order first.
    std::vector<Event> early, late;
    const uint64_t share = 4 + rng() % 5;  // of 16
    for (const Event& e : s.events) (rng() % 16 < share ? late : early).push_back(e);
    std::vector<Event> order = early;
    order.insert(order.end(), late.begin(), late.end());
    EXPECT_EQ(FindingsText(Detect(order)), whole) << "seed " << seed << ": one run, late part last";
    const size_t mid = early.size() + (late.empty() ? 0 : rng() % (late.size() + 1));
    EXPECT_EQ(FollowFindings(order, {early.size(), mid, order.size()}), whole)
        << "seed " << seed << ": passes, the late part after the rest";
  }
}

// One login logged twice (Postfix's SASL failure and Dovecot's auth failure of the same second),
// several logins a second from many hosts: a distributed guessing of one account and a spray.
// Which records share a second and which get merged must not depend on which log was read first
// or in which order a second's records came.
TEST(FollowPasses, SameSecondLoginsOfTwoLogsInAnyOrder) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed * 4099);
    std::vector<Event> dovecot, postfix;
    for (int i = 0; i < 1200; ++i) {
      const double t = 3600 + i / 4;  // four logins a second
      const std::string ip =
          "198.51." + std::to_string(rng() % 4) + "." + std::to_string(1 + rng() % 60);
      const std::string user =
          rng() % 2 ? "victim@acme.example" : "u" + std::to_string(rng() % 40) + "@acme.example";
      const std::string fp = "fp" + std::to_string(rng() % 900);
      dovecot.push_back(Auth(t, "dovecot", "d" + std::to_string(i), ip, user, "failure", fp));
      postfix.push_back(Auth(t, "postfix", "p" + std::to_string(i), ip, user, "failure"));
    }
    auto by_time = [](std::vector<Event> v) {
      std::stable_sort(v.begin(), v.end(),
                       [](const Event& a, const Event& b) { return a.ts < b.ts; });
      return v;
    };
    std::vector<Event> both = dovecot;
    both.insert(both.end(), postfix.begin(), postfix.end());
    const std::string whole = FindingsText(Detect(by_time(both)));
    ASSERT_NE(whole, "");
    // The other log first; each second's records shuffled; one log read after the other.
    std::vector<Event> other = postfix;
    other.insert(other.end(), dovecot.begin(), dovecot.end());
    std::vector<Event> shuffled = by_time(other);
    for (size_t b = 0; b < shuffled.size();) {
      size_t e = b;
      while (e < shuffled.size() && shuffled[e].ts == shuffled[b].ts) ++e;
      std::shuffle(shuffled.begin() + static_cast<ptrdiff_t>(b),
                   shuffled.begin() + static_cast<ptrdiff_t>(e), rng);
      b = e;
    }
    EXPECT_EQ(FindingsText(Detect(shuffled)), whole)
        << "seed " << seed << ": a second's records shuffled";
    EXPECT_EQ(FindingsText(Detect(other)), whole)
        << "seed " << seed << ": Postfix's log read first";
    EXPECT_EQ(FollowFindings(other, {postfix.size(), other.size()}), whole)
        << "seed " << seed << ": Postfix's log in one pass, Dovecot's in the next";
  }
}

// Each attempt keeps the id of its (client, account) pair from one pass to the next (and new
// attempts of an old pair get its id); a later pass may change an earlier attempt's account: a
// Windows logon name (ACME\\bob) is folded into bob@acme.example only while that is the one such
// account. Generated guessing, own-device logins and typos over a few hosts and accounts, logged
// by Dovecot and Postfix (merged) and Exchange, the logs in a random order cut into 2..5 passes:
// the last pass equals one run.
TEST(FollowPasses, LaterPassesChangeTheAccountsOfEarlierAttempts) {
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    std::mt19937_64 rng(seed * 7717);
    std::vector<Event> postfix, dovecot, other;
    const int hosts = 3 + static_cast<int>(rng() % 30);
    for (int i = 0; i < 900; ++i) {
      const double t = 600 + i * (1 + static_cast<double>(rng() % 40));
      const int h = static_cast<int>(rng() % hosts);
      const std::string ip = "198.51.100." + std::to_string(1 + h);
      const std::string local = "u" + std::to_string(rng() % (h % 3 == 0 ? 3 : 25));
      const std::string user = local + "@acme.example";
      const bool success = rng() % 5 == 0;
      const std::string outcome = success ? "success" : "failure";
      const std::string fp = rng() % 2 ? "fp" + std::to_string(rng() % (h % 2 ? 2 : 400)) : "";
      const std::string id = std::to_string(i);
      dovecot.push_back(Auth(t, "dovecot", "d" + id, ip, user, outcome, fp));
      // Postfix's record of the same login (merged with Dovecot's, in whichever pass).
      if (rng() % 3 != 0) postfix.push_back(Auth(t, "postfix", "p" + id, ip, user, outcome));
      // Exchange's Windows logon name of a success, folded into the address account.
      if (success && rng() % 4 == 0) {
        other.push_back(Auth(t + 3, "exchange", "x" + id, ip, "ACME\\" + local, "success"));
      }
    }
    // A second account of the same local part (bob@other.example): ACME\\bob no longer folds.
    other.push_back(Auth(500, "dovecot", "o1", "198.51.100.200", "u1@other.example", "success"));
    std::vector<const std::vector<Event>*> logs{&postfix, &dovecot, &other};
    std::shuffle(logs.begin(), logs.end(), rng);
    std::vector<Event> order;
    for (const auto* l : logs) order.insert(order.end(), l->begin(), l->end());
    ExpectLastPassEqualsOneRun(order, 2 + rng() % 4, rng, seed);
  }
}

// Postfix's records of a login name no account ("SASL LOGIN authentication failed") or only its
// local part, and may come a little before or after Dovecot's; several clients fail many times
// a second. Each Postfix record merges into the earliest matching Dovecot record, over all the
// records — so a pass that brings an earlier record must undo a merge an earlier pass made.
// Generated over many seeds, the logs read in pieces in a random order, cut into 2..6 passes:
// the last pass equals one run.
TEST(FollowPasses, AttemptsMergedAcrossLogsAgreeWithOneRunInAnyPasses) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed * 104729);
    std::vector<Event> postfix, dovecot;
    const int hosts = 1 + static_cast<int>(rng() % 6);
    const int accounts = 2 + static_cast<int>(rng() % 40);
    double t = 1000;
    for (int i = 0; i < 700; ++i) {
      t += static_cast<double>(rng() % 1500) / 1000.0;  // 0 to 1.5 s apart: many in a window
      const int h = static_cast<int>(rng() % hosts);
      const std::string ip = "203.0.113." + std::to_string(1 + h);
      const std::string local = "u" + std::to_string(rng() % static_cast<uint64_t>(accounts));
      const std::string user = local + "@acme.example";
      const std::string outcome = rng() % 9 == 0 ? "success" : "failure";
      const std::string id = std::to_string(i);
      dovecot.push_back(Auth(t, "dovecot", "d" + id, ip, user, outcome));
      if (rng() % 4 == 0) continue;  // Postfix did not log this one
      const double jitter = static_cast<double>(rng() % 1800) / 1000.0 - 0.9;
      const uint64_t naming = rng() % 3;
      const std::string named = naming == 0 ? "" : naming == 1 ? local : user;
      postfix.push_back(Auth(t + jitter, "postfix", "p" + id, ip, named, outcome));
    }
    std::sort(postfix.begin(), postfix.end(),
              [](const Event& a, const Event& b) { return a.ts < b.ts; });
    const std::vector<Event> order = ReadInPieces({&postfix, &dovecot}, rng);
    ExpectLastPassEqualsOneRun(order, 2 + rng() % 5, rng, seed);
  }
}

// The same for messages: a capture's copy of a message (no account: the login was not seen)
// and Postfix's log line of it (with the account) are one message when client, sender and
// recipients agree within the merge window; an account sends bursts to outside recipients,
// several messages of the same shape a second. The logs read in pieces in a random order, cut
// into 2..6 passes: the last pass equals one run.
TEST(FollowPasses, MessagesMergedAcrossSourcesAgreeWithOneRunInAnyPasses) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed * 7919);
    std::vector<Event> capture, postfix;
    const int senders = 1 + static_cast<int>(rng() % 4);
    double t = 5000;
    for (int i = 0; i < 900; ++i) {
      t += static_cast<double>(rng() % 900) / 1000.0;
      const int who = static_cast<int>(rng() % static_cast<uint64_t>(senders));
      const std::string ip = "192.168.7." + std::to_string(10 + who);
      const std::string user = "s" + std::to_string(who) + "@acme.example";
      // Few recipients over many messages: several messages of the same shape in a window.
      const std::vector<std::string> rcpts{"r" + std::to_string(rng() % 3) + "@outside.example"};
      const std::string id = std::to_string(i);
      if (rng() % 5 != 0) {
        Event c = Message(t, "c" + id, ip, "", user, rcpts, "offer " + std::to_string(rng() % 4));
        c.source = "pcap";
        capture.push_back(c);
      }
      if (rng() % 5 != 0) {
        const double jitter = static_cast<double>(rng() % 1600) / 1000.0 - 0.8;
        postfix.push_back(Message(t + jitter, "p" + id, ip, user, user, rcpts, ""));
      }
    }
    for (auto* l : {&capture, &postfix})
      std::sort(l->begin(), l->end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
    const std::vector<Event> order = ReadInPieces({&capture, &postfix}, rng);
    ExpectLastPassEqualsOneRun(order, 2 + rng() % 5, rng, seed);
  }
}

// --- the named cases of issue 11
// ------------------------------------------------------------------

std::string Addr(int a, int b) { return "203.0." + std::to_string(a) + "." + std::to_string(b); }

// Thirty users, each with an own computer that logged in before the spray.
void OwnDevicesLogIn(std::vector<Event>* v, double t, int users) {
  for (int u = 0; u < users; ++u) {
    std::string s = "own" + std::to_string(static_cast<int>(t)) + "-" + std::to_string(u);
    v->push_back(Auth(t + u * 7, "dovecot", s, "192.0.2." + std::to_string(10 + u),
                      "u" + std::to_string(u) + "@acme.example", "success"));
  }
}

TEST(Issue11, SprayThenNormalLoginsIsOneSprayAndNoCompromise) {
  for (bool fps : {true, false}) {
    std::vector<Event> v;
    OwnDevicesLogIn(&v, 0, 30);
    double t = 3600;
    for (int p = 0; p < 5; ++p) {
      for (int u = 0; u < 30; ++u) {
        v.push_back(Auth(t, "dovecot", "spray" + std::to_string(p * 30 + u), "198.18.7.7",
                         "u" + std::to_string(u) + "@acme.example", "failure",
                         fps ? "dovecot-sha1:pw" + std::to_string(p) : ""));
        t += 4;
      }
    }
    OwnDevicesLogIn(&v, t + 600, 30);    // the users' own computers, as usual
    OwnDevicesLogIn(&v, t + 86400, 30);  // and the next day
    DetectResult r = Detect(v);
    EXPECT_EQ(OfKind(r, "password_spraying").size(), 1u) << fps;
    EXPECT_TRUE(OfKind(r, "account_compromise").empty()) << fps;
    EXPECT_TRUE(OfKind(r, "login_after_attack").empty()) << fps;
    auto sp = OfKind(r, "password_spraying");
    ASSERT_FALSE(sp.empty());
    EXPECT_EQ(sp[0]->client_ip, "198.18.7.7");
    EXPECT_EQ(sp[0]->users.size(), 30u);
    EXPECT_NE(sp[0]->explanation.find("no sign of being taken"), std::string::npos);
  }
}

TEST(Issue11, SlowBruteForceOverThreeDaysIsOneBruteForce) {
  std::vector<Event> v;
  OwnDevicesLogIn(&v, 0, 5);
  for (int i = 0; i < 432; ++i) {  // one new password every 10 minutes for 3 days
    v.push_back(Auth(1800 + i * 600.0, "dovecot", "slow" + std::to_string(i), "198.18.9.9",
                     "u1@acme.example", "failure", "dovecot-sha1:g" + std::to_string(i)));
  }
  DetectResult r = Detect(v);
  auto bf = OfKind(r, "brute_force");
  ASSERT_EQ(bf.size(), 1u);
  EXPECT_EQ(bf[0]->user, "u1@acme.example");
  EXPECT_EQ(bf[0]->client_ip, "198.18.9.9");
  EXPECT_EQ(bf[0]->counts["failures"], 432);
  EXPECT_EQ(bf[0]->counts.value("slow", false), true);
  EXPECT_TRUE(OfKind(r, "stale_credentials").empty());
  EXPECT_TRUE(OfKind(r, "account_compromise").empty());
}

TEST(Issue11, DistributedBruteForceIsOneBruteForceNamingAccountAndClients) {
  std::vector<Event> v;
  OwnDevicesLogIn(&v, 0, 5);
  for (int c = 0; c < 300; ++c) {  // 300 clients, one attempt each, over three days
    v.push_back(Auth(3600 + c * 864.0, "dovecot", "d" + std::to_string(c),
                     Addr(c % 100, 1 + c / 100), "u2@acme.example", "failure",
                     "dovecot-sha1:x" + std::to_string(c)));
  }
  OwnDevicesLogIn(&v, 3 * 86400, 5);  // the owner's computer afterwards: no compromise
  DetectResult r = Detect(v);
  auto bf = OfKind(r, "brute_force");
  ASSERT_EQ(bf.size(), 1u);
  EXPECT_EQ(bf[0]->user, "u2@acme.example");
  EXPECT_EQ(bf[0]->counts["distributed"], true);
  EXPECT_EQ(bf[0]->counts["clients"], 300);
  EXPECT_EQ(bf[0]->counts["failures"], 300);
  EXPECT_EQ(bf[0]->counts["networks"], 100);
  ASSERT_EQ(bf[0]->evidence["top_clients"].size(), 10u);
  ASSERT_FALSE(bf[0]->evidence["top_networks"].empty());
  EXPECT_EQ(bf[0]->evidence["top_networks"][0]["clients"], 3);
  EXPECT_TRUE(OfKind(r, "account_compromise").empty());
  EXPECT_TRUE(OfKind(r, "login_after_attack").empty());
  // Without fingerprints the same.
  for (auto& e : v) e.secret_fp.clear();
  DetectResult r2 = Detect(v);
  ASSERT_EQ(OfKind(r2, "brute_force").size(), 1u);
  EXPECT_EQ(OfKind(r2, "brute_force")[0]->user, "u2@acme.example");
}

TEST(Issue11, StolenAccountUsedByFortyClientsWithForeignFromIsCompromise) {
  std::vector<Event> v;
  OwnDevicesLogIn(&v, 0, 10);
  // Credential stuffing over 200 accounts from 50 proxies; one pair works.
  for (int a = 0; a < 200; ++a) {
    v.push_back(Auth(3600 + a * 5.0, "dovecot", "cs" + std::to_string(a), Addr(50, a % 50 + 1),
                     "s" + std::to_string(a) + "@acme.example", "failure",
                     "dovecot-sha1:c" + std::to_string(a)));
  }
  v.push_back(Auth(3600 + 1001, "dovecot", "cs-win", Addr(50, 7), "u3@acme.example", "success",
                   "dovecot-sha1:right"));
  // Then 40 other clients log in as u3 and send spam with a From that is not u3.
  for (int c = 0; c < 40; ++c) {
    std::string s = "spam" + std::to_string(c);
    std::string host = Addr(60 + c / 10, 1 + c);
    double t = 7200 + c * 90.0;
    v.push_back(Auth(t, "dovecot", s, host, "u3@acme.example", "success", "dovecot-sha1:right"));
    Event m = Message(t + 2, s, host, "u3@acme.example", "offers@deals.example",
                      {"a" + std::to_string(c) + "@x.example", "b@y.example"}, "Deal");
    m.source = "dovecot";
    v.push_back(m);
  }
  DetectResult r = Detect(v);
  auto ac = OfKind(r, "account_compromise");
  ASSERT_EQ(ac.size(), 1u);
  EXPECT_EQ(ac[0]->user, "u3@acme.example");
  EXPECT_EQ(ac[0]->severity, Severity::kCritical);
  EXPECT_FALSE(OfKind(r, "credential_stuffing").empty());
  // The same use without the stuffing seen (the password was stolen elsewhere).
  std::vector<Event> alone;
  for (const auto& e : v) {
    if (e.session.str().rfind("cs", 0) != 0) alone.push_back(e);
  }
  DetectResult r2 = Detect(alone);
  auto ac2 = OfKind(r2, "account_compromise");
  ASSERT_EQ(ac2.size(), 1u);
  EXPECT_EQ(ac2[0]->user, "u3@acme.example");
  EXPECT_EQ(ac2[0]->evidence["rule"], "used_by_many_clients");
}

TEST(Issue11, NewClientAfterAttackIsLoginAfterAttackAndSignsRaiseIt) {
  std::vector<Event> v;
  OwnDevicesLogIn(&v, 0, 3);
  for (int i = 0; i < 30; ++i) {
    v.push_back(Auth(3600 + i * 3.0, "dovecot", "b" + std::to_string(i), "198.18.1.1",
                     "u0@acme.example", "failure", "dovecot-sha1:" + std::to_string(i)));
  }
  v.push_back(Auth(7200, "dovecot", "new", "198.19.5.5", "u0@acme.example", "success"));
  DetectResult r = Detect(v);
  auto la = OfKind(r, "login_after_attack");
  ASSERT_EQ(la.size(), 1u);
  EXPECT_EQ(la[0]->severity, Severity::kMedium);
  EXPECT_EQ(la[0]->client_ip, "198.19.5.5");
  EXPECT_NE(la[0]->explanation.find("did not fire"), std::string::npos);
  EXPECT_TRUE(OfKind(r, "account_compromise").empty());
  // The same login, then mail with a foreign From: account_compromise.
  Event m = Message(7205, "new", "198.19.5.5", "u0@acme.example", "ceo@other.example",
                    {"x@y.example"}, "Invoice");
  m.source = "dovecot";
  v.push_back(m);
  DetectResult r2 = Detect(v);
  auto ac = OfKind(r2, "account_compromise");
  ASSERT_EQ(ac.size(), 1u);
  EXPECT_EQ(ac[0]->evidence["rule"], "new_client_with_signs");
  EXPECT_TRUE(OfKind(r2, "login_after_attack").empty());
}

TEST(Issue11, OwnDeviceBehindTheAttackersNatIsNotACompromise) {
  // An infected machine and the users share the office address 10.1.1.1.
  std::vector<Event> v;
  for (int u = 0; u < 5; ++u) {
    Event h = Base(u, "pcap", "o" + std::to_string(u), "10.1.1.1", EventKind::kHelo);
    h.helo = "desk" + std::to_string(u) + ".acme.example";
    v.push_back(h);
    v.push_back(Auth(u + 0.5, "pcap", "o" + std::to_string(u), "10.1.1.1",
                     "u" + std::to_string(u) + "@acme.example", "success",
                     "aaaa0000aaaa000" + std::to_string(u)));
  }
  for (int i = 0; i < 40; ++i) {
    std::string s = "g" + std::to_string(i / 4);
    v.push_back(Auth(3600 + i * 2.0, "pcap", s, "10.1.1.1", "u1@acme.example", "failure",
                     "bbbb0000bbbb" + std::to_string(1000 + i)));
  }
  // u1's own desk logs in again from the same address.
  Event h = Base(9000, "pcap", "later", "10.1.1.1", EventKind::kHelo);
  h.helo = "desk1.acme.example";
  v.push_back(h);
  v.push_back(
      Auth(9000.5, "pcap", "later", "10.1.1.1", "u1@acme.example", "success", "aaaa0000aaaa0001"));
  DetectResult r = Detect(v);
  EXPECT_EQ(OfKind(r, "brute_force").size(), 1u);
  EXPECT_TRUE(OfKind(r, "account_compromise").empty());
  EXPECT_TRUE(OfKind(r, "login_after_attack").empty());
}

}  // namespace
}  // namespace mxir::detect::test

namespace mxir::detect::test {
namespace {

// An encrypted session as a capture sees it: start, STARTTLS, end with length and client bytes.
void TlsSession(std::vector<Event>* v, const std::string& id, const std::string& client, int port,
                double t, double duration, int64_t bytes, const char* how = "starttls") {
  for (EventKind k : {EventKind::kSessionStart, EventKind::kTls, EventKind::kSessionEnd}) {
    Event e = Base(t + (k == EventKind::kSessionEnd ? duration : 0), "pcap", id, client, k);
    e.server_port = port;
    if (k == EventKind::kTls) e.how = how;
    if (k == EventKind::kSessionEnd) {
      e.duration_s = duration;
      e.bytes_c2s = bytes;
    }
    v->push_back(e);
  }
}

TEST(Issue11, SessionBurstOnAnyPortJudgedAgainstTheServersNormal) {
  for (int port : {25, 587, 31337}) {
    std::vector<Event> v;
    // Ten people sending their mail: a few sessions each over the day, messages of any size.
    for (int u = 0; u < 10; ++u) {
      for (int m = 0; m < 6; ++m) {
        TlsSession(&v, "n" + std::to_string(u * 10 + m), "192.0.2." + std::to_string(20 + u), port,
                   u * 500 + m * 1300.0, 3 + m, 4000 + 50000 * m);
      }
    }
    // A guesser: 60 connections, 6 at a time, ~10 s each (5 AUTH attempts with error delays),
    // ~1300 client bytes each — about what a small message costs.
    for (int c = 0; c < 60; ++c) {
      TlsSession(&v, "g" + std::to_string(c), "198.18.3.3", port, 20000 + (c / 6) * 11.0 + c % 6,
                 10, 1300);
    }
    // A stale device: one short session a minute for an hour.
    for (int c = 0; c < 60; ++c) {
      TlsSession(&v, "st" + std::to_string(c), "192.0.2.99", port, 30000 + c * 60.0, 1.5, 800);
    }
    DetectResult r = Detect(v);
    auto burst = OfKind(r, "session_burst");
    std::set<std::string> hosts;
    for (const auto* f : burst) hosts.insert(f->client_ip);
    EXPECT_EQ(hosts, (std::set<std::string>{"198.18.3.3", "192.0.2.99"})) << port;
    for (const auto* f : burst) {
      if (f->client_ip == "198.18.3.3") {
        EXPECT_EQ(f->counts["max_parallel_sessions"], 6);
        EXPECT_EQ(f->counts["sessions"], 60);
      }
    }
  }
}

TEST(Issue11, StartTlsNotNegotiatedIsNotAnEncryptedSession) {
  // The same sixty short sessions from one host: encrypted they are a burst; with STARTTLS never
  // negotiated (the capture saw their plain text) they are not encrypted sessions at all, and
  // what they carried is judged from that text by the other detectors.
  for (const char* how : {"starttls", "implicit", "starttls-not-negotiated"}) {
    std::vector<Event> v;
    for (int u = 0; u < 10; ++u) {
      TlsSession(&v, "n" + std::to_string(u), "192.0.2." + std::to_string(20 + u), 2600, u * 700.0,
                 4, 9000);
    }
    for (int c = 0; c < 60; ++c) {
      TlsSession(&v, "x" + std::to_string(c), "198.18.7.7", 2600, 9000 + c * 20.0, 1.5, 700, how);
    }
    DetectResult r = Detect(v);
    EXPECT_EQ(OfKind(r, "session_burst").size(),
              std::string(how) == "starttls-not-negotiated" ? 0u : 1u)
        << how;
  }
}

}  // namespace
}  // namespace mxir::detect::test
