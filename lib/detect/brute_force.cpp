// brute_force: one account (or a few) from one host, many different passwords — or, without
// fingerprints, many attempts per session, parallel sessions, or a high irregular rate. Also the
// slow form (the same signs at any rate, counted over the whole input) and the distributed form
// (one account from many hosts that never logged in as it, a few attempts each; the finding names
// the account, the top hosts and networks, and counts.distributed = true).
// Severity: high outside; critical inside (a machine of ours is attacking: it is infected).
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

void Emit(DetectContext& ctx, uint32_t client, uint32_t user, const std::vector<uint32_t>& users,
          const std::vector<uint32_t>& failures, int64_t first, int64_t last,
          nlohmann::ordered_json counts, bool has_fp) {
  const Evidence& ev = ctx.ev;
  const bool inside = ctx.Inside(client);
  const std::string host = ev.ClientText(client);
  std::string user_text = ev.UserText(user);
  std::vector<std::string> names = UserNames(ev, users);
  Finding f = NewFinding("brute_force", inside ? Severity::kCritical : Severity::kHigh, "triage",
                         {host, user_text, names.empty() ? "" : "several"}, first, last);
  f.client_ip = host;
  f.user = user_text;
  f.users = names;
  f.counts = std::move(counts);
  AddAttemptOrigins(f, ev, failures);
  std::string target = !user_text.empty() ? user_text
                       : !names.empty()   ? Count(static_cast<int64_t>(names.size()), "account") +
                                              " (" + ShortList(names) + ")"
                                        : "an account the logs do not name";
  const bool slow = f.counts.value("slow", false);
  std::string how = has_fp ? "with many different passwords"
                           : "in a pattern no saved-password device makes (several tries per "
                             "connection, parallel connections or an irregular high rate)";
  f.explanation = host + " failed to log in as " + target + " " +
                  Count(static_cast<int64_t>(failures.size()), "time") + " between " +
                  f.first_seen.ToString() + " and " + f.last_seen.ToString() + ", " + how +
                  ". That is someone guessing passwords, not a device with an old one.";
  if (slow) {
    f.explanation += " The guesses came slowly (about every " +
                     Seconds(f.counts.value("median_interval_s", 0.0)) +
                     "), below any per-minute limit, so fail2ban-style rules miss them; they "
                     "count here because of their total over the whole input.";
  }
  if (inside) {
    f.explanation +=
        " The guesses come from inside your network, so a machine of yours is "
        "probably infected or misused.";
    f.next_steps = {
        "Find the machine at " + host + " (DHCP lease, switch port) and take it off the network.",
        "Scan or reinstall it; check which accounts were used on it.",
        "Watch " + target +
            " for a successful login (mxir detect reports it as "
            "account_compromise) and reset only if one follows."};
    SetVerdict(f, "password guessing from a machine inside");
  } else {
    f.next_steps = {"Block " + host +
                        " at the firewall or with fail2ban (postfix-sasl, dovecot "
                        "jails).",
                    "Watch " + target + " for a successful login; reset only if one follows.",
                    "Consider rate limits on AUTH (smtpd_client_auth_rate_limit)."};
    SetVerdict(f, "password guessing from outside");
  }
  ctx.findings.push_back(std::move(f));
}

// The network of an address as numbers (IPv6 or not, IPv4 /24 or IPv6 /64): one per NetworkOf()
// text.
std::pair<bool, uint64_t> NetworkKey(const IpAddress& ip) {
  if (ip.is_v4()) return {false, ip.v4_host_order() >> 8};
  uint64_t k = 0;
  for (int i = 0; i < 8; ++i) k = (k << 8) | ip.bytes()[i];
  return {true, k};
}

// "203.0.113.0/24" or "2001:db8:1:2::/64": the network a client address is in.
std::string NetworkOf(const IpAddress& ip) {
  if (ip.is_v4()) {
    uint32_t v = ip.v4_host_order() & 0xffffff00u;
    return IpAddress::V4(v).ToString() + "/24";
  }
  std::array<uint8_t, 16> b{};
  std::copy(ip.bytes(), ip.bytes() + 8, b.begin());
  return IpAddress::V6(b).ToString() + "/64";
}

void EmitDistributed(DetectContext& ctx, const AccountAttack& a) {
  const Evidence& ev = ctx.ev;
  const std::string user = ev.UserText(a.user);
  bool inside = false;
  // The clients' networks: (network key, failures, a client in it) sorted by key, each network
  // a run; then one entry per network, its text written once.
  struct Keyed {
    std::pair<bool, uint64_t> key;
    int64_t failures;
    uint32_t client;
    bool operator<(const Keyed& o) const { return key < o.key; }
  };
  thread_local std::vector<Keyed> keyed;
  keyed.clear();
  for (const auto& [c, n] : a.clients) {
    inside |= ctx.Inside(c);
    keyed.push_back({NetworkKey(ev.clients[c]), n, c});
  }
  std::sort(keyed.begin(), keyed.end());
  struct Net {
    std::string text;
    int64_t clients = 0, failures = 0;
  };
  std::vector<Net> networks;
  for (size_t b = 0; b < keyed.size();) {
    Net net;
    size_t e = b;
    for (; e < keyed.size() && keyed[e].key == keyed[b].key; ++e) {
      ++net.clients;
      net.failures += keyed[e].failures;
    }
    net.text = NetworkOf(ev.clients[keyed[b].client]);
    networks.push_back(std::move(net));
    b = e;
  }
  // Most failures first, then by the network's text (as the text-ordered list, stably sorted).
  std::sort(networks.begin(), networks.end(), [](const Net& x, const Net& y) {
    if (x.failures != y.failures) return x.failures > y.failures;
    return x.text < y.text;
  });
  Finding f = NewFinding("brute_force", inside ? Severity::kCritical : Severity::kHigh, "triage",
                         {"distributed", user}, a.first, a.last);
  f.user = user;
  const int64_t failures = static_cast<int64_t>(a.failures.size());
  f.counts["distributed"] = true;
  f.counts["failures"] = failures;
  f.counts["clients"] = a.clients.size();
  f.counts["networks"] = networks.size();
  if (a.has_fingerprints) f.counts["distinct_secrets"] = a.distinct_secrets;
  f.counts["attempts_per_client"] = static_cast<double>(failures) / a.clients.size();
  constexpr size_t kTop = 10;
  nlohmann::ordered_json top = nlohmann::ordered_json::array();
  std::vector<std::string> hosts;
  for (size_t i = 0; i < a.clients.size() && i < kTop; ++i) {
    top.push_back(
        {{"client_ip", ev.ClientText(a.clients[i].first)}, {"failures", a.clients[i].second}});
    hosts.push_back(ev.ClientText(a.clients[i].first));
  }
  f.evidence["top_clients"] = std::move(top);
  nlohmann::ordered_json top_nets = nlohmann::ordered_json::array();
  for (size_t i = 0; i < networks.size() && i < kTop; ++i) {
    top_nets.push_back({{"network", networks[i].text},
                        {"clients", networks[i].clients},
                        {"failures", networks[i].failures}});
  }
  f.evidence["top_networks"] = std::move(top_nets);
  std::vector<uint32_t> sample(a.failures.begin(), a.failures.end());
  AddAttemptOrigins(f, ev, sample);
  f.explanation =
      Count(static_cast<int64_t>(a.clients.size()), "host") + " in " +
      Count(static_cast<int64_t>(networks.size()), "network") + " (" + ShortList(hosts) +
      ") failed to log in as " + user + " " + Count(failures, "time") + " between " +
      f.first_seen.ToString() + " and " + f.last_seen.ToString() + ", about " +
      std::to_string(
          static_cast<int64_t>(std::llround(static_cast<double>(failures) / a.clients.size()))) +
      " attempt(s) each" +
      (a.has_fingerprints ? ", with " + Count(a.distinct_secrets, "different password")
                          : std::string()) +
      ". None of these hosts ever logged in as " + user +
      ", so they are not its owner's devices: that is one account guessed from many "
      "addresses (a botnet or proxies), each staying under per-address limits such as "
      "fail2ban's.";
  f.next_steps = {"Protect " + user +
                      ": enforce a strong password or MFA; consider a per-account AUTH limit "
                      "(the per-address limits do not see this attack).",
                  "Watch " + user +
                      " for a successful login from a new host (reported as account_compromise or "
                      "login_after_attack); reset only if one follows.",
                  "Block the busiest networks listed in the finding where practical."};
  SetVerdict(f, "distributed password guessing against one account");
  ctx.findings.push_back(std::move(f));
}

}  // namespace

void DetectBruteForce(DetectContext& ctx) {
  for (const ClientSweep& s : ctx.auth.sweeps) {
    if (s.verdict != AuthVerdict::kBruteForce) continue;
    nlohmann::ordered_json counts;
    counts["failures"] = s.failures.size();
    counts["distinct_users"] = s.users.size();
    if (s.has_fingerprints) counts["distinct_secrets"] = s.distinct_secrets;
    counts["attempts_per_user"] = s.attempts_per_user;
    Emit(ctx, s.client, kNone, s.users, s.failures, s.first, s.last, std::move(counts),
         s.has_fingerprints);
  }
  for (const AuthSeries& s : ctx.auth.series) {
    if (s.verdict != AuthVerdict::kBruteForce) continue;
    bool covered = false;
    for (const ClientSweep& w : ctx.auth.sweeps) covered |= w.client == s.client;
    if (covered) continue;  // reported once for the host, with all its accounts
    nlohmann::ordered_json counts;
    counts["failures"] = s.failures.size();
    counts["successes"] = s.successes;
    if (s.has_fingerprints) counts["distinct_secrets"] = s.distinct_secrets;
    counts["attempts_per_session"] = s.attempts_per_session;
    counts["max_parallel_sessions"] = s.max_parallel;
    counts["median_interval_s"] = s.median_interval_s;
    counts["max_failures_in_window"] = s.max_in_window;
    counts["cadence_cv"] = s.cadence_cv;
    if (s.slow) counts["slow"] = true;
    Emit(ctx, s.client, s.user, {}, s.failures, s.first, s.last, std::move(counts),
         s.has_fingerprints);
  }
  for (const AccountAttack& a : ctx.auth.account_attacks) EmitDistributed(ctx, a);
}

}  // namespace mxir::detect
