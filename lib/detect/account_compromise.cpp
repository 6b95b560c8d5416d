// account_compromise: a successful login for an account (a) from a host judged to be attacking
// (brute force, spraying, stuffing — for this or other accounts), or (b) after a run of at
// least --compromise-min-failures attack failures against the account within
// --compromise-lookback, from any host. A stale device that finally logs in with its new
// password is never a compromise: stale failures are not attack failures. When the account
// then sends bulk mail, the finding says so. Severity: critical.
#include <algorithm>
#include <unordered_map>

#include "detect/detect_context.h"

namespace mxir::detect {

void DetectAccountCompromise(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  const auto& attackers = ctx.auth.attackers;
  const int64_t lookback = static_cast<int64_t>(ctx.cfg.compromise_lookback_s * 1e6);
  // Attack failures per account, in time order.
  std::unordered_map<uint32_t, std::vector<int64_t>> attack_failures;
  for (const AuthAttempt& a : ev.attempts) {
    if (a.outcome == AuthOutcome::kFailure && a.user != kNone) {
      auto it = attackers.find(a.client);
      if (it != attackers.end()) attack_failures[a.user].push_back(a.ts);
    }
  }
  struct Hit {
    uint32_t attempt;
    bool from_attacker;
    int64_t failures_before;
  };
  std::unordered_map<uint32_t, Hit> first_hit;  // per account: the first suspicious success
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.outcome != AuthOutcome::kSuccess || a.user == kNone || first_hit.count(a.user)) continue;
    int64_t before = 0;
    if (auto it = attack_failures.find(a.user); it != attack_failures.end()) {
      const auto& v = it->second;
      before = std::lower_bound(v.begin(), v.end(), a.ts) -
               std::lower_bound(v.begin(), v.end(), a.ts - lookback);
    }
    auto att = attackers.find(a.client);
    bool from_attacker = att != attackers.end() && att->second <= a.ts;
    if (!from_attacker && before < ctx.cfg.compromise_min_failures) continue;
    first_hit.emplace(a.user, Hit{i, from_attacker, before});
    order.push_back(a.user);
  }
  // Successful logins of the accounts with a finding, in time order.
  std::unordered_map<uint32_t, std::vector<const AuthAttempt*>> successes_of;
  for (uint32_t u : order) successes_of[u];
  for (const AuthAttempt& x : ev.attempts) {
    if (x.outcome != AuthOutcome::kSuccess) continue;
    auto it = successes_of.find(x.user);
    if (it != successes_of.end()) it->second.push_back(&x);
  }
  for (uint32_t u : order) {
    const Hit& h = first_hit[u];
    const AuthAttempt& a = ev.attempts[h.attempt];
    const std::string user = ev.UserText(u);
    const std::string host = ev.ClientText(a.client);
    const bool inside = ctx.Inside(a.client);
    // successes: from the host of the finding; logins_after: the account's other successful
    // logins after it (the attacker using the account, often from elsewhere).
    int64_t successes = 0, logins_after = 0;
    int64_t last = a.ts;
    for (const AuthAttempt* x : successes_of[u]) {
      if (x->ts >= a.ts) {
        ++(x->client == a.client ? successes : logins_after);
        last = std::max(last, x->ts);
      }
    }
    // All attack failures against the account around the takeover (parallel sessions may still
    // be failing after the winning guess).
    int64_t failures = h.failures_before;
    if (auto it = attack_failures.find(u); it != attack_failures.end()) {
      const auto& v = it->second;
      failures = v.end() - std::lower_bound(v.begin(), v.end(), a.ts - lookback);
    }
    Finding f = NewFinding("account_compromise", Severity::kCritical, "compromised-account", {user},
                           a.ts, last);
    f.client_ip = host;
    f.user = user;
    f.counts["failures"] = failures;
    f.counts["successes"] = successes;
    f.counts["logins_after"] = logins_after;
    AddAttemptOrigins(f, ev, {h.attempt});
    f.explanation = "The account " + user + " logged in successfully from " + host + " at " +
                    f.first_seen.ToString();
    if (h.from_attacker) {
      f.explanation += ", a host that was guessing passwords";
      if (h.failures_before > 0) {
        f.explanation +=
            " (" + Count(h.failures_before, "failed attempt") + " against this account before)";
      }
    } else {
      f.explanation += ", after " + Count(h.failures_before, "failed guess") +
                       " against it from attacking hosts";
    }
    f.explanation += ". The attacker very probably has the password now.";
    for (const Finding& b : ctx.findings) {
      if (b.kind == "bulk_outbound" && b.user == user && b.last_seen >= f.first_seen) {
        int64_t messages = b.counts.value("messages", int64_t{0});
        f.explanation += " The account then sent bulk mail (" + Count(messages, "message") +
                         ", see the bulk_outbound finding).";
        f.counts["messages"] = messages;
        f.last_seen = std::max(f.last_seen, b.last_seen);
        break;
      }
    }
    if (inside) {
      f.explanation +=
          " The login came from inside your network: the attacker may be on an "
          "infected machine there.";
    }
    f.next_steps = {"Reset the password of " + user +
                        " with a forced change and end its "
                        "sessions (mxir reset " +
                        user + ").",
                    "Suspend its outgoing mail and hold its queued messages until it is clean.",
                    "Check forwarding rules, filters and app passwords added by the attacker.",
                    std::string(inside ? "Isolate the machine at " : "Block ") + host + "."};
    SetVerdict(f, "account taken over (login after password guessing)");
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
