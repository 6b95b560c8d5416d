// The compromise model (compromise.h): each account's login history and how each successful
// login is judged (its origin: the account's usual devices and networks, or not).
#include "detect/compromise.h"

#include <algorithm>
#include <map>
#include <set>

#include "detect/detect_context.h"
#include "detect/locality.h"

namespace mxir::detect {

namespace {

constexpr double kUs = 1e6;

// The network of an address as a number: IPv4 /24, IPv6 /64 (high bit marks IPv6).
// The network of an address as a number: its IPv4 /24 or its IPv6 /64 (compare only keys of the
// same family: the two ranges overlap).
uint64_t NetworkKey(const IpAddress& ip) {
  if (ip.is_v4()) return ip.v4_host_order() >> 8;
  uint64_t k = 0;
  for (int i = 0; i < 8; ++i) k = (k << 8) | ip.bytes()[i];
  return k;
}

// A HELO name that identifies a device: not empty, not an address literal, not a name every
// machine or tool uses.
bool DistinctiveHelo(std::string_view h) {
  if (h.size() < 3 || h.front() == '[' || IpAddress::Parse(h)) return false;
  std::string l(h);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string> generic = {"localhost", "localhost.localdomain",
                                                "user",      "pc",
                                                "unknown",   "ylmf-pc",
                                                "windows",   "desktop",
                                                "laptop",    "mail",
                                                "smtp",      "client",
                                                "test",      "home",
                                                "default",   "host",
                                                "iphone",    "android"};
  return !generic.count(l);
}

uint32_t HeloOf(const Evidence& ev, const AuthAttempt& a) {
  return a.session == kNone ? kNone : ev.session_recs[a.session].helo;
}

}  // namespace

const char* LoginOriginName(LoginOrigin o) {
  switch (o) {
    case LoginOrigin::kOwnDevice:
      return "own_device";
    case LoginOrigin::kAttacker:
      return "attacker";
    case LoginOrigin::kNewClient:
      return "new_client";
    default:
      return "not_judged";
  }
}

CompromiseModel CompromiseModel::Build(const Evidence& ev, const AuthAnalysis& auth,
                                       const DetectConfig& cfg, const Locality& loc,
                                       const DetectContext* ctx) {
  CompromiseModel m;
  m.ev_ = &ev;
  m.auth_ = &auth;
  m.loc_ = &loc;
  m.ctx_ = ctx;
  m.lookback_us_ = static_cast<int64_t>(cfg.compromise_lookback_s * kUs);
  // Sessions that guessed: several failures, or failures for several accounts.
  // Per Evidence::session_recs index: failures (0: none), and the account of the first one.
  std::vector<std::pair<int64_t, uint32_t>> session_fail(ev.session_recs.size(), {0, kNone});
  std::unordered_set<uint32_t>& attacker_helos = m.attacker_helos_;
  // A stale device's failures are explained, also behind an address that attacks too.
  std::vector<uint8_t> stale_pairs(auth.pair_count, 0);  // per AuthAnalysis::pair id
  for (const AuthSeries& s : auth.series) {
    if (s.verdict == AuthVerdict::kStale) stale_pairs[auth.pair[s.failures.front()]] = 1;
  }
  m.first_success_.assign(auth.pair_count, kNever);
  m.first_attack_failure_.assign(auth.pair_count, kNever);
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.outcome != AuthOutcome::kFailure) continue;
    if (a.session != kNone) {
      auto& [count, user] = session_fail[a.session];
      if (count == 0) user = a.user;
      ++count;
      if (user != a.user) count += 1000;  // several accounts
    }
    if (a.user == kNone) continue;
    if (a.ts < auth.AttackerSince(a.client) || auth.typo[i] || stale_pairs[auth.pair[i]]) continue;
    if (uint32_t h = HeloOf(ev, a); h != kNone) attacker_helos.insert(h);
    int64_t& first_failure = m.first_attack_failure_[auth.pair[i]];
    if (first_failure == kNever) first_failure = a.ts;  // time order: the first
    AccountHistory& h = m.Account(a.user);
    if (h.attack_failures == 0 || a.ts < h.attack_start) h.attack_start = a.ts;
    h.attack_last = std::max(h.attack_last, a.ts);
    ++h.attack_failures;
  }
  m.failed_sessions_.assign(session_fail.size(), 0);
  for (size_t s = 0; s < session_fail.size(); ++s) {
    const int64_t n = session_fail[s].first;
    if (n > 0 && (n >= static_cast<int64_t>(cfg.brute_min_attempts_per_session) || n >= 1000))
      m.failed_sessions_[s] = 1;
  }
  for (AccountHistory& h : m.accounts_) {
    if (h.attack_failures < cfg.compromise_min_failures) h.attack_failures = 0;
    if (h.attacked()) m.attacked_.push_back(h.user);
  }
  std::sort(m.attacked_.begin(), m.attacked_.end());
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.outcome == AuthOutcome::kSuccess && a.user != kNone &&
        m.first_success_[auth.pair[i]] == kNever)
      m.first_success_[auth.pair[i]] = a.ts;
  }
  // Per Evidence::texts index: 0 not asked yet, 1 a distinctive HELO name, 2 not (asked once
  // per name, not per login).
  std::vector<uint8_t> distinctive(ev.texts.size(), 0);
  auto is_distinctive = [&](uint32_t helo) {
    uint8_t& d = distinctive[helo];
    if (d == 0) d = DistinctiveHelo(ev.texts.Get(helo)) ? 1 : 2;
    return d == 1;
  };
  // Own devices: successes before the account's attack began (all successes when never attacked),
  // from clients that were not attacking by then.
  for (const AuthAttempt& a : ev.attempts) {
    if (a.outcome != AuthOutcome::kSuccess || a.user == kNone || a.client == kNone) continue;
    AccountHistory& h = m.Account(a.user);
    if (h.attacked() && a.ts >= h.attack_start) continue;
    if (auth.AttackerSince(a.client) <= a.ts) continue;
    h.own_clients.push_back(a.client);
    uint32_t helo = HeloOf(ev, a);
    if (helo != kNone && !attacker_helos.count(helo) && is_distinctive(helo))
      h.own_helos.push_back(helo);
  }
  for (AccountHistory& h : m.accounts_) {
    for (auto* v : {&h.own_clients, &h.own_helos}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    for (uint32_t c : h.own_clients) {
      if (c < ev.client_country.size() && ev.client_country[c]) {
        h.own_countries.push_back(ev.client_country[c]);
      }
      if (c < ev.client_asn.size() && ev.client_asn[c]) h.own_asns.push_back(ev.client_asn[c]);
    }
    std::sort(h.own_countries.begin(), h.own_countries.end());
    h.own_countries.erase(std::unique(h.own_countries.begin(), h.own_countries.end()),
                          h.own_countries.end());
    std::sort(h.own_asns.begin(), h.own_asns.end());
    h.own_asns.erase(std::unique(h.own_asns.begin(), h.own_asns.end()), h.own_asns.end());
  }
  for (uint32_t c = 0; c < ev.clients.size(); ++c) {
    if (auth.IsAttacker(c) && !m.Inside(c)) {
      const IpAddress& ip = ev.clients[c];
      (ip.is_v4() ? m.attacker_net4_ : m.attacker_net6_).insert(NetworkKey(ip));
    }
  }
  return m;
}

bool CompromiseModel::Inside(uint32_t client) const {
  return ctx_ ? ctx_->Inside(client) : loc_->IsInternal(ev_->clients[client]);
}

AccountHistory& CompromiseModel::Account(uint32_t user) {
  if (user >= account_at_.size()) account_at_.resize(ev_->users.size() + 1, kNone);
  uint32_t& at = account_at_[user];
  if (at == kNone) {
    at = static_cast<uint32_t>(accounts_.size());
    accounts_.emplace_back().user = user;
  }
  return accounts_[at];
}

const AccountHistory* CompromiseModel::History(uint32_t user) const {
  if (user >= account_at_.size() || account_at_[user] == kNone) return nullptr;
  return &accounts_[account_at_[user]];
}

LoginOrigin CompromiseModel::Judge(uint32_t i) const {
  const Evidence& ev = *ev_;
  const AuthAttempt& a = ev.attempts[i];
  if (a.outcome != AuthOutcome::kSuccess || a.user == kNone || a.client == kNone)
    return LoginOrigin::kNotJudged;
  const AccountHistory* h = History(a.user);
  const bool attacked = h && h->attacked() && a.ts >= h->attack_start;
  // Neither after an attack on the account nor from an attacking host: nothing to judge (most
  // logins; the checks below need neither).
  if (!attacked && auth_->AttackerSince(a.client) > a.ts) return LoginOrigin::kNotJudged;
  auto has = [](const std::vector<uint32_t>& v, uint32_t x) {
    return std::binary_search(v.begin(), v.end(), x);
  };
  // Own devices: before the account's attack (all earlier successes when it was never attacked,
  // except those from a host already attacking then).
  const bool own_exact = h && has(h->own_clients, a.client);
  if (auth_->AttackerSince(a.client) <= a.ts) {
    // The attacker's own address. When it is also the account's own device — it logged in as
    // the account before, and before any guess against the account from there (one NAT address
    // for the attacker and the users) — only a success in a session that guessed, or under the
    // guessing sessions' HELO name, is the attacker's.
    const uint32_t pair = auth_->pair[i];
    const int64_t fs = first_success_[pair], fa = first_attack_failure_[pair];
    const bool earlier_own = fs != kNever && fs < a.ts && (fa == kNever || fs < fa);
    if (!earlier_own) return LoginOrigin::kAttacker;
    if (a.session != kNone && failed_sessions_[a.session]) return LoginOrigin::kAttacker;
    // The same address: the device name decides when the session shows one — the attacker's
    // name, never one of the account's own devices.
    uint32_t helo = HeloOf(ev, a);
    if (helo != kNone && attacker_helos_.count(helo) &&
        !(h && std::binary_search(h->own_helos.begin(), h->own_helos.end(), helo)))
      return LoginOrigin::kAttacker;
    return LoginOrigin::kOwnDevice;
  }
  if (!attacked || a.ts > h->attack_last + lookback_us_) return LoginOrigin::kNotJudged;
  if (own_exact) return LoginOrigin::kOwnDevice;
  const IpAddress& ip = ev.clients[a.client];
  const uint64_t net = NetworkKey(ip);
  for (uint32_t c : h->own_clients) {
    const IpAddress& own = ev.clients[c];
    if (own.is_v4() == ip.is_v4() && NetworkKey(own) == net) return LoginOrigin::kOwnDevice;
  }
  if (!Inside(a.client) && (ip.is_v4() ? attacker_net4_ : attacker_net6_).count(net))
    return LoginOrigin::kAttacker;
  uint32_t helo = HeloOf(ev, a);
  if (helo != kNone && has(h->own_helos, helo)) return LoginOrigin::kOwnDevice;
  return LoginOrigin::kNewClient;
}

}  // namespace mxir::detect
