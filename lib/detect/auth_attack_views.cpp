// The views of login attempts across series (auth_attack_views.h): sweeps, distributed brute
// force and attacks on one account from many places.
#include "detect/auth_attack_views.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace mxir::detect::internal {

namespace {
constexpr double kUs = 1e6;
}  // namespace

// The busiest --spray-window of each client by distinct accounts failing.
void BuildSweeps(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out) {
  // Typos are the accounts' own devices (many users behind one NAT address mistype too), not
  // part of a sweep.
  // Stale devices are too: several users' old phones behind one office address are not a sweep.
  std::vector<uint8_t> stale(out->pair_count, 0);
  for (const AuthSeries& s : out->series) {
    if (s.verdict == AuthVerdict::kStale) stale[out->pair[s.failures.front()]] = 1;
  }
  // The failures per client (the last slot for kNone), in time order: counted, then placed (one
  // array for all clients instead of a vector each).
  const size_t slots = ev.clients.size() + 1;
  auto slot = [&](uint32_t client) { return client == kNone ? slots - 1 : client; };
  auto counted = [&](uint32_t i) {
    const AuthAttempt& a = ev.attempts[i];
    return a.outcome == AuthOutcome::kFailure && a.user != kNone && !out->typo[i] &&
           !stale[out->pair[i]];
  };
  std::vector<uint32_t> begin(slots + 1, 0);
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    if (counted(i)) ++begin[slot(ev.attempts[i].client) + 1];
  }
  for (size_t k = 1; k <= slots; ++k) begin[k] += begin[k - 1];
  std::vector<uint32_t> placed(begin[slots]);
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
      if (counted(i)) placed[next[slot(ev.attempts[i].client)]++] = i;
    }
  }
  const int64_t w = static_cast<int64_t>(c.spray_window_s * kUs);
  std::vector<uint32_t> idx;
  for (size_t k = 0; k < slots; ++k) {
    if (static_cast<int64_t>(begin[k + 1] - begin[k]) < c.spray_min_users) continue;
    const uint32_t client = k == slots - 1 ? kNone : static_cast<uint32_t>(k);
    idx.assign(placed.begin() + begin[k], placed.begin() + begin[k + 1]);
    std::unordered_map<uint32_t, int64_t> users;
    size_t b = 0, best_b = 0, best_e = 0, best_users = 0;
    for (size_t e = 0; e < idx.size(); ++e) {
      ++users[ev.attempts[idx[e]].user];
      while (ev.attempts[idx[e]].ts - ev.attempts[idx[b]].ts > w) {
        auto it = users.find(ev.attempts[idx[b]].user);
        if (--it->second == 0) users.erase(it);
        ++b;
      }
      if (users.size() > best_users) {
        best_users = users.size();
        best_b = b;
        best_e = e;
      }
    }
    if (static_cast<int64_t>(best_users) < c.spray_min_users) continue;
    ClientSweep s;
    s.client = client;
    s.failures.assign(idx.begin() + best_b, idx.begin() + best_e + 1);
    std::unordered_set<uint32_t> seen;
    for (uint32_t i : s.failures) {
      if (seen.insert(ev.attempts[i].user).second) s.users.push_back(ev.attempts[i].user);
    }
    s.first = ev.attempts[s.failures.front()].ts;
    s.last = ev.attempts[s.failures.back()].ts;
    int64_t with_fp = 0;
    s.distinct_secrets = DistinctSecrets(ev, s.failures, &with_fp);
    s.has_fingerprints = with_fp * 2 >= static_cast<int64_t>(s.failures.size());
    s.attempts_per_user = static_cast<double>(s.failures.size()) / s.users.size();
    if (s.attempts_per_user > c.spray_max_attempts_per_user) {
      s.verdict = AuthVerdict::kBruteForce;  // many passwords against several accounts
    } else if (s.has_fingerprints && s.attempts_per_user <= 1.5 &&
               s.distinct_secrets >= c.stuffing_min_secret_ratio * s.users.size()) {
      s.verdict = AuthVerdict::kStuffing;  // a different secret for each account, once each
    } else {
      s.verdict = AuthVerdict::kSpraying;
    }
    out->sweeps.push_back(std::move(s));
  }
  std::sort(out->sweeps.begin(), out->sweeps.end(),
            [](const ClientSweep& a, const ClientSweep& b) { return a.client < b.client; });
}

// Failures not explained by one client: one secret on many accounts, or many clients on many
// accounts within --spray-window.
void BuildDistributed(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out) {
  std::vector<uint32_t> cand;
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.outcome != AuthOutcome::kFailure || a.user == kNone || out->typo[i]) continue;
    if (out->AttackerOrStale(a.client)) continue;
    cand.push_back(i);
  }
  // One secret tried against many accounts (any clients, any time).
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_secret;
  for (uint32_t i : cand) {
    if (ev.attempts[i].secret != kNone) by_secret[ev.attempts[i].secret].push_back(i);
  }
  std::vector<uint8_t> used(ev.attempts.size(), 0);  // per attempt: in a one-secret spray
  std::vector<uint32_t> secrets;
  for (auto& [secret, idx] : by_secret) secrets.push_back(secret);
  std::sort(secrets.begin(), secrets.end());
  for (uint32_t secret : secrets) {
    const auto& idx = by_secret[secret];
    // Fewer failures than the accounts needed: not enough accounts (most secrets are tried once).
    if (static_cast<int64_t>(idx.size()) < c.spray_min_users_per_secret) continue;
    std::unordered_set<uint32_t> users, clients;
    for (uint32_t i : idx) users.insert(ev.attempts[i].user);
    if (static_cast<int64_t>(users.size()) < c.spray_min_users_per_secret) continue;
    DistributedAttack d;
    d.verdict = AuthVerdict::kSpraying;
    d.secret = secret;
    d.failures = idx;
    for (uint32_t i : idx) {
      used[i] = 1;
      if (clients.insert(ev.attempts[i].client).second) d.clients.push_back(ev.attempts[i].client);
    }
    d.users.assign(users.begin(), users.end());
    std::sort(d.users.begin(), d.users.end());
    d.first = ev.attempts[idx.front()].ts;
    d.last = ev.attempts[idx.back()].ts;
    d.distinct_secrets = 1;
    out->distributed.push_back(std::move(d));
  }
  std::vector<uint32_t> rest;
  for (uint32_t i : cand) {
    if (!used[i]) rest.push_back(i);
  }
  const int64_t w = static_cast<int64_t>(c.spray_window_s * kUs);
  // Failures per account and per client (the last slot for kNone) in the window, and how many
  // of each are in it: plain arrays, as the window slides over every candidate failure.
  std::vector<uint32_t> in_window_user(ev.users.size(), 0),
      in_window_client(ev.clients.size() + 1, 0);
  auto client_slot = [&](uint32_t client) { return client == kNone ? ev.clients.size() : client; };
  size_t users = 0, clients = 0;
  size_t b = 0, best_b = 0, best_e = 0, best_users = 0;
  bool found = false;
  for (size_t e = 0; e < rest.size(); ++e) {
    const AuthAttempt& now = ev.attempts[rest[e]];
    users += in_window_user[now.user]++ == 0;
    clients += in_window_client[client_slot(now.client)]++ == 0;
    while (now.ts - ev.attempts[rest[b]].ts > w) {
      const AuthAttempt& old = ev.attempts[rest[b]];
      users -= --in_window_user[old.user] == 0;
      clients -= --in_window_client[client_slot(old.client)] == 0;
      ++b;
    }
    if (static_cast<int64_t>(clients) >= c.distributed_min_clients && users > best_users) {
      best_users = users;
      best_b = b;
      best_e = e;
      found = true;
    }
  }
  if (!found || static_cast<int64_t>(best_users) < c.distributed_min_users) return;
  DistributedAttack d;
  d.failures.assign(rest.begin() + best_b, rest.begin() + best_e + 1);
  std::unordered_set<uint32_t> su, sc;
  for (uint32_t i : d.failures) {
    if (su.insert(ev.attempts[i].user).second) d.users.push_back(ev.attempts[i].user);
    if (sc.insert(ev.attempts[i].client).second) d.clients.push_back(ev.attempts[i].client);
  }
  d.first = ev.attempts[d.failures.front()].ts;
  d.last = ev.attempts[d.failures.back()].ts;
  int64_t with_fp = 0;
  d.distinct_secrets = DistinctSecrets(ev, d.failures, &with_fp);
  double per_user = static_cast<double>(d.failures.size()) / d.users.size();
  bool fps = with_fp * 2 >= static_cast<int64_t>(d.failures.size());
  // Each account tried about once, with its own secret (or secrets unseen): stuffing.
  d.verdict = per_user <= 1.5 &&
                      (!fps || d.distinct_secrets >= c.stuffing_min_secret_ratio * d.users.size())
                  ? AuthVerdict::kStuffing
                  : AuthVerdict::kSpraying;
  out->distributed.push_back(std::move(d));
}

// One account guessed from many clients that never logged in as it, over any time span. The
// failures of clients already explained (a stale device of the account, a host reported as
// brute force or a sweep, a fleet-wide spray or stuffing run) are left out, so each attack is
// reported once.
void BuildAccountAttacks(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out) {
  // Per pair id: 1 when the pair ever succeeded, 2 when a series verdict explains it.
  std::vector<uint8_t> skip(out->pair_count, 0);
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    if (ev.attempts[i].outcome == AuthOutcome::kSuccess) skip[out->pair[i]] |= 1;
  }
  for (const AuthSeries& s : out->series) {
    if (s.verdict != AuthVerdict::kNone) skip[out->pair[s.failures.front()]] |= 2;
  }
  std::vector<uint8_t> sweepers(ev.clients.size(), 0);  // per Evidence::clients
  for (const ClientSweep& s : out->sweeps) {
    if (s.client != kNone) sweepers[s.client] = 1;
  }
  // Per attempt index: 1 when a fleet-wide attack holds it; per account: its failures left.
  std::vector<uint8_t> in_fleet(ev.attempts.size(), 0);
  for (const DistributedAttack& d : out->distributed) {
    for (uint32_t i : d.failures) in_fleet[i] = 1;
  }
  // The failures left per account, in time order: counted, then placed (one array for all
  // accounts instead of a vector each).
  auto counted = [&](uint32_t i) {
    const AuthAttempt& a = ev.attempts[i];
    return a.outcome == AuthOutcome::kFailure && a.user != kNone && a.client != kNone &&
           !skip[out->pair[i]] && !in_fleet[i] && !sweepers[a.client];
  };
  std::vector<uint32_t> begin(ev.users.size() + 1, 0);
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    if (counted(i)) ++begin[ev.attempts[i].user + 1];
  }
  for (size_t u = 1; u < begin.size(); ++u) begin[u] += begin[u - 1];
  std::vector<uint32_t> placed(begin.back());
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
      if (counted(i)) placed[next[ev.attempts[i].user]++] = i;
    }
  }
  std::vector<uint32_t> idx, client_ids;
  struct ClientCount {
    int64_t n;
    std::string text;
    uint32_t client;
  };
  std::vector<ClientCount> per_client;
  for (uint32_t user = 0; user < ev.users.size(); ++user) {
    if (static_cast<int64_t>(begin[user + 1] - begin[user]) < c.brute_min_failures) continue;
    idx.assign(placed.begin() + begin[user], placed.begin() + begin[user + 1]);
    // The failures per client: the client ids sorted, each client a run (no hash map per
    // account).
    client_ids.clear();
    for (uint32_t i : idx) client_ids.push_back(ev.attempts[i].client);
    std::sort(client_ids.begin(), client_ids.end());
    per_client.clear();
    for (size_t b = 0; b < client_ids.size();) {
      size_t e = b + 1;
      while (e < client_ids.size() && client_ids[e] == client_ids[b]) ++e;
      per_client.push_back({static_cast<int64_t>(e - b), std::string(), client_ids[b]});
      b = e;
    }
    if (static_cast<int64_t>(per_client.size()) < c.brute_distributed_min_clients) continue;
    AccountAttack a;
    a.user = user;
    int64_t with_fp = 0;
    a.distinct_secrets = DistinctSecrets(ev, idx, &with_fp);
    a.has_fingerprints = with_fp * 2 >= static_cast<int64_t>(idx.size());
    if (a.has_fingerprints && a.distinct_secrets < c.brute_min_secrets) continue;
    // Most failures first, then by address text (each address written once, not per compare).
    for (ClientCount& x : per_client) ev.clients[x.client].AppendTo(x.text);
    std::sort(per_client.begin(), per_client.end(), [](const ClientCount& x, const ClientCount& y) {
      if (x.n != y.n) return x.n > y.n;
      return x.text < y.text;
    });
    a.clients.reserve(per_client.size());
    for (const ClientCount& x : per_client) a.clients.emplace_back(x.client, x.n);
    a.failures = std::move(idx);
    a.first = ev.attempts[a.failures.front()].ts;
    a.last = ev.attempts[a.failures.back()].ts;
    out->account_attacks.push_back(std::move(a));
  }
  std::sort(out->account_attacks.begin(), out->account_attacks.end(),
            [&](const AccountAttack& x, const AccountAttack& y) {
              return ev.users.Get(x.user) < ev.users.Get(y.user);
            });
}

}  // namespace mxir::detect::internal
