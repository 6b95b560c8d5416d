#include "detect/auth_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "detect/auth_attack_views.h"

namespace mxir::detect {

namespace internal {

// Distinct secrets per fingerprint scheme (schemes do not compare); the largest count.
// (Called for every series of the input: no node-based containers, one reused buffer.)
int64_t DistinctSecrets(const Evidence& ev, const std::vector<uint32_t>& idx, int64_t* with_fp) {
  thread_local std::vector<uint32_t> secrets;
  secrets.clear();
  for (uint32_t i : idx) {
    if (uint32_t s = ev.attempts[i].secret; s != kNone) secrets.push_back(s);
  }
  if (with_fp) *with_fp = static_cast<int64_t>(secrets.size());
  std::sort(secrets.begin(), secrets.end());
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  size_t best = 0;
  if (ev.secret_scheme.size() == ev.secrets.size()) {
    // The schemes' numbers (EvidenceCollector gives them): one count per scheme.
    thread_local std::vector<size_t> per_scheme;
    per_scheme.assign(ev.schemes.size(), 0);
    for (uint32_t s : secrets) best = std::max(best, ++per_scheme[ev.secret_scheme[s]]);
    return static_cast<int64_t>(best);
  }
  std::vector<std::pair<std::string_view, size_t>> by_scheme;  // few schemes: a short list
  for (uint32_t s : secrets) {
    std::string_view scheme = ev.SecretScheme(s);
    auto it = std::find_if(by_scheme.begin(), by_scheme.end(),
                           [&](const auto& p) { return p.first == scheme; });
    if (it == by_scheme.end()) it = by_scheme.insert(by_scheme.end(), {scheme, 0});
    best = std::max(best, ++it->second);
  }
  return static_cast<int64_t>(best);
}

}  // namespace internal

using internal::BuildAccountAttacks;
using internal::BuildDistributed;
using internal::BuildSweeps;
using internal::DistinctSecrets;

namespace {

constexpr double kUs = 1e6;
constexpr double kStaleTopSecretShare = 0.8;

// The most sessions open at once, from the sessions' own start/end where known. (Called for
// every series of the input: the (session, time) pairs sorted in a reused buffer, so each
// session is a run, instead of a hash map per series.)
int64_t MaxParallel(const Evidence& ev, const std::vector<uint32_t>& idx) {
  if (idx.size() <= 1) return 1;                              // one attempt: one session at most
  thread_local std::vector<std::pair<uint32_t, int64_t>> at;  // (session, ts)
  thread_local std::vector<std::pair<int64_t, int>> edges;
  at.clear();
  edges.clear();
  for (uint32_t i : idx) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.session != kNone) at.emplace_back(a.session, a.ts);
  }
  std::sort(at.begin(), at.end());
  size_t sessions = 0;
  for (size_t b = 0; b < at.size();) {
    size_t e = b + 1;
    while (e < at.size() && at[e].first == at[b].first) ++e;
    int64_t first = at[b].second, last = at[e - 1].second;  // a run is in time order
    const SessionRec& r = ev.session_recs[at[b].first];
    if (r.start <= r.end) {
      first = std::min(first, r.start);
      last = std::max(last, r.end);
    }
    edges.emplace_back(first, +1);
    edges.emplace_back(last, -1);
    ++sessions;
    b = e;
  }
  // At equal times, close before open: back-to-back sessions are not parallel.
  std::sort(edges.begin(), edges.end());
  int64_t cur = 0, best = sessions == 0 ? 1 : 0;
  for (const auto& [t, d] : edges) {
    cur += d;
    best = std::max(best, cur);
  }
  return std::max<int64_t>(best, 1);
}

// The pace of a series: the median interval, and its variation as a robust coefficient of
// variation — the interquartile range over 1.349 x the median (for a normal spread this equals
// stddev / mean). Robust because a stale device's pace has holes (the laptop closed overnight,
// a failure left out as its owner's typo) that must not make it look irregular.
void Cadence(const std::vector<int64_t>& ts, double* cv, double* median_s) {
  *cv = 0;
  *median_s = 0;
  if (ts.size() < 2) return;
  std::vector<double> gaps;
  gaps.reserve(ts.size() - 1);
  for (size_t i = 1; i < ts.size(); ++i)
    gaps.push_back(static_cast<double>(ts[i] - ts[i - 1]) / kUs);
  std::sort(gaps.begin(), gaps.end());
  auto q = [&](double p) {
    return gaps[static_cast<size_t>(p * static_cast<double>(gaps.size() - 1) + 0.5)];
  };
  *median_s = gaps[gaps.size() / 2];
  const double med = q(0.5);
  *cv = med > 0 ? (q(0.75) - q(0.25)) / (1.349 * med) : 0;
}

int64_t MaxInWindow(const std::vector<int64_t>& ts, double window_s) {
  const int64_t w = static_cast<int64_t>(window_s * kUs);
  int64_t best = 0;
  size_t b = 0;
  for (size_t e = 0; e < ts.size(); ++e) {
    while (ts[e] - ts[b] > w) ++b;
    best = std::max<int64_t>(best, static_cast<int64_t>(e - b + 1));
  }
  return best;
}

void Classify(AuthSeries& s, const DetectConfig& c) {
  const int64_t n = static_cast<int64_t>(s.failures.size());
  const bool fast = s.max_in_window >= c.brute_min_failures;
  const bool slow_count = n >= c.brute_slow_min_failures;
  if (s.has_fingerprints) {
    // The same wrong secret again and again; a few other secrets among many repeats of one are
    // its owner's typos behind the same address, not guesses.
    const bool one_secret =
        s.distinct_secrets <= c.stale_max_secrets || s.top_secret_share >= kStaleTopSecretShare;
    if (one_secret && n >= c.stale_min_failures) {
      s.verdict = AuthVerdict::kStale;
    } else if (s.distinct_secrets >= c.brute_min_secrets && (fast || slow_count)) {
      s.verdict = AuthVerdict::kBruteForce;
      s.slow = !fast;
    }
    return;
  }
  // Signs no saved-password device shows, at any rate: several tries per connection, parallel
  // connections. An irregular pace alone is a sign only when fast (a mail app opened at random
  // times is irregular too).
  const bool structural = s.attempts_per_session >= c.brute_min_attempts_per_session ||
                          s.guessing_sessions >= 3 ||
                          s.max_parallel >= c.brute_min_parallel_sessions;
  const bool irregular = s.cadence_cv > c.stale_max_cadence_cv;
  if ((structural || irregular) && fast) {
    s.verdict = AuthVerdict::kBruteForce;
  } else if (structural && slow_count) {
    s.verdict = AuthVerdict::kBruteForce;
    s.slow = true;
  } else if (n >= c.stale_min_failures && s.cadence_cv <= c.stale_max_cadence_cv &&
             s.attempts_per_session <= c.stale_max_attempts_per_session &&
             s.max_parallel <= c.stale_max_parallel_sessions) {
    s.verdict = AuthVerdict::kStale;
  }
}

// Dense ids for the (client, account) pairs of the attempts: one open-addressing table, made
// once and dropped after (a node-based map of millions of pairs costs an allocation each).
void NumberPairs(const Evidence& ev, AuthAnalysis* out) {
  // Given by EvidenceCollector::Finalize (kept between --follow passes): copied when every
  // attempt has its pair's id.
  {
    out->pair.resize(ev.attempts.size());
    bool all = true;
    for (uint32_t i = 0; i < ev.attempts.size() && all; ++i) {
      const AuthAttempt& a = ev.attempts[i];
      all = a.pair < ev.pair_keys.size() &&
            ev.pair_keys[a.pair] == ((static_cast<uint64_t>(a.client) << 32) | a.user);
      out->pair[i] = a.pair;
    }
    if (all) {
      out->pair_count = static_cast<uint32_t>(ev.pair_keys.size());
      return;
    }
  }
  struct Slot {
    uint64_t key = 0;
    uint32_t id = kNone;  // kNone: empty
  };
  std::vector<Slot> slots(1024);
  size_t mask = slots.size() - 1;
  int shift = 64 - 10;  // log2(slots.size()) bits from the top of the product
  uint32_t count = 0;
  auto home = [&](uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ULL) >> shift); };
  out->pair.resize(ev.attempts.size());
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    const uint64_t k = (static_cast<uint64_t>(a.client) << 32) | a.user;
    size_t s = home(k);
    while (slots[s].id != kNone && slots[s].key != k) s = (s + 1) & mask;
    if (slots[s].id == kNone) {
      slots[s] = {k, count++};
      if (static_cast<size_t>(count) * 2 > slots.size()) {
        std::vector<Slot> old(slots.size() * 2);
        old.swap(slots);
        mask = slots.size() - 1;
        --shift;
        for (const Slot& o : old) {
          if (o.id == kNone) continue;
          size_t t = home(o.key);
          while (slots[t].id != kNone) t = (t + 1) & mask;
          slots[t] = o;
        }
        s = home(k);
        while (slots[s].key != k || slots[s].id == kNone) s = (s + 1) & mask;
      }
    }
    out->pair[i] = slots[s].id;
  }
  out->pair_count = count;
}

void MarkTypos(const Evidence& ev, AuthAnalysis* out) {
  constexpr int64_t kTypoUs = 120 * 1000000LL;
  out->typo.assign(ev.attempts.size(), 0);
  // Per (client, account): the last two failures since the pair's last success (only those
  // can be typos); `last` is the most recent.
  struct Pending {
    uint32_t before = kNone, last = kNone;
  };
  std::vector<Pending> pending(out->pair_count);
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.user == kNone || a.outcome == AuthOutcome::kOther) continue;
    Pending& p = pending[out->pair[i]];
    if (a.outcome == AuthOutcome::kFailure) {
      p.before = p.last;
      p.last = i;
      continue;
    }
    // The last one or two failures just before the success (a stale device of the same account
    // behind the same address may have failed earlier).
    for (uint32_t f : {p.last, p.before}) {
      if (f == kNone || a.ts - ev.attempts[f].ts > kTypoUs) break;
      out->typo[f] = 1;
    }
    p = Pending{};
  }
}

void BuildSeries(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out) {
  // Per pair id: its series, kNone when none.
  std::vector<uint32_t> index(out->pair_count, kNone);
  // Series exist only for (client, account) pairs with failures: most pairs only succeed.
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.outcome != AuthOutcome::kFailure || out->typo[i]) continue;
    uint32_t& s = index[out->pair[i]];
    if (s == kNone) {
      s = static_cast<uint32_t>(out->series.size());
      out->series.emplace_back();
      out->series.back().client = a.client;
      out->series.back().user = a.user;
    }
    out->series[s].failures.push_back(i);
  }
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    if (ev.attempts[i].outcome != AuthOutcome::kSuccess) continue;
    if (uint32_t s = index[out->pair[i]]; s != kNone) ++out->series[s].successes;
  }
  std::vector<int64_t> ts;
  // The series' failures per session: session ids sorted, so each session is a run (no hash map
  // per series: there are as many series as (client, account) pairs that failed).
  std::vector<uint32_t> session_ids;
  size_t distinct_sessions = 0;
  auto failures_in = [&](uint32_t session) {
    auto [b, e] = std::equal_range(session_ids.begin(), session_ids.end(), session);
    return static_cast<int64_t>(e - b);
  };
  for (AuthSeries& s : out->series) {
    if (s.failures.empty()) continue;
    ts.clear();
    session_ids.clear();
    for (uint32_t i : s.failures) {
      ts.push_back(ev.attempts[i].ts);
      if (ev.attempts[i].session != kNone) session_ids.push_back(ev.attempts[i].session);
    }
    const auto with_session = static_cast<int64_t>(session_ids.size());
    std::sort(session_ids.begin(), session_ids.end());
    distinct_sessions = 0;
    for (size_t b = 0; b < session_ids.size();) {
      size_t e = b + 1;
      while (e < session_ids.size() && session_ids[e] == session_ids[b]) ++e;
      ++distinct_sessions;
      if (static_cast<double>(e - b) >= c.brute_min_attempts_per_session) ++s.guessing_sessions;
      b = e;
    }
    s.first = ts.front();
    s.last = ts.back();
    int64_t with_fp = 0;
    s.distinct_secrets = DistinctSecrets(ev, s.failures, &with_fp);
    s.has_fingerprints = with_fp * 2 >= static_cast<int64_t>(s.failures.size());
    if (s.has_fingerprints) {
      thread_local std::vector<uint32_t> secrets;
      secrets.clear();
      for (uint32_t i : s.failures) {
        if (ev.attempts[i].secret != kNone) secrets.push_back(ev.attempts[i].secret);
      }
      std::sort(secrets.begin(), secrets.end());
      int64_t top = 0;
      for (size_t b = 0; b < secrets.size();) {
        size_t e = b + 1;
        while (e < secrets.size() && secrets[e] == secrets[b]) ++e;
        top = std::max(top, static_cast<int64_t>(e - b));
        b = e;
      }
      s.top_secret_share = static_cast<double>(top) / static_cast<double>(s.failures.size());
    }
    Cadence(ts, &s.cadence_cv, &s.median_interval_s);
    s.attempts_per_session = distinct_sessions == 0 ? 1
                                                    : static_cast<double>(with_session) /
                                                          static_cast<double>(distinct_sessions);
    s.max_parallel = MaxParallel(ev, s.failures);
    s.max_in_window = MaxInWindow(ts, c.brute_window_s);
    Classify(s, c);
    if (s.verdict == AuthVerdict::kBruteForce) {
      s.attack_start = s.first;
      if (s.has_fingerprints) {
        std::unordered_map<uint32_t, int64_t> per_secret;
        for (uint32_t i : s.failures) ++per_secret[ev.attempts[i].secret];
        for (uint32_t i : s.failures) {
          uint32_t secret = ev.attempts[i].secret;
          if (secret != kNone && per_secret[secret] <= 2) {
            s.attack_start = ev.attempts[i].ts;
            break;
          }
        }
      } else {
        for (uint32_t i : s.failures) {
          uint32_t session = ev.attempts[i].session;
          if (session != kNone &&
              static_cast<double>(failures_in(session)) >= c.brute_min_attempts_per_session) {
            s.attack_start = ev.attempts[i].ts;
            break;
          }
        }
      }
    }
  }
}

}  // namespace

const char* AuthVerdictName(AuthVerdict v) {
  switch (v) {
    case AuthVerdict::kStale:
      return "stale_credentials";
    case AuthVerdict::kBruteForce:
      return "brute_force";
    case AuthVerdict::kSpraying:
      return "password_spraying";
    case AuthVerdict::kStuffing:
      return "credential_stuffing";
    default:
      return "none";
  }
}

AuthAnalysis AuthAnalysis::Build(const Evidence& ev, const DetectConfig& cfg) {
  AuthAnalysis a;
  NumberPairs(ev, &a);
  MarkTypos(ev, &a);
  BuildSeries(ev, cfg, &a);
  BuildSweeps(ev, cfg, &a);
  a.attacker_since.assign(ev.clients.size() + 1, kNotAttacker);
  auto mark = [&](uint32_t client, int64_t ts) {
    int64_t& since = a.attacker_since[client == kNone ? ev.clients.size() : client];
    since = std::min(since, ts);
  };
  for (const auto& s : a.sweeps) mark(s.client, s.first);
  for (const auto& s : a.series) {
    if (s.verdict == AuthVerdict::kBruteForce) mark(s.client, s.attack_start);
  }
  for (const auto& s : a.series) {
    if (s.verdict == AuthVerdict::kStale && !a.IsAttacker(s.client)) {
      a.stale_clients.emplace(s.client, s.first);
    }
  }
  a.attacker_or_stale.assign(ev.clients.size() + 1, 0);
  for (size_t c = 0; c < a.attacker_since.size(); ++c) {
    if (a.attacker_since[c] != kNotAttacker) a.attacker_or_stale[c] = 1;
  }
  for (const auto& [c, ts] : a.stale_clients) {
    a.attacker_or_stale[c == kNone ? ev.clients.size() : c] = 1;
  }
  BuildDistributed(ev, cfg, &a);
  for (const auto& d : a.distributed) {
    for (uint32_t c : d.clients) mark(c, d.first);
  }
  BuildAccountAttacks(ev, cfg, &a);
  for (const auto& d : a.account_attacks) {
    for (uint32_t i : d.failures) mark(ev.attempts[i].client, ev.attempts[i].ts);
  }
  return a;
}

}  // namespace mxir::detect
