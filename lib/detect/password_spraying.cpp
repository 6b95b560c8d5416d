// password_spraying: many accounts from one host (or a few), few passwords each — or one
// password tried against many accounts from any hosts. Severity: high outside, critical inside.
#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

void Explain(DetectContext& ctx, Finding& f, bool inside, const std::string& who,
             const std::vector<std::string>& names, int64_t failures) {
  f.explanation = who + " tried " + Count(static_cast<int64_t>(names.size()), "account") + " (" +
                  ShortList(names, 5) + ") with " + Count(failures, "failed login") + " between " +
                  f.first_seen.ToString() + " and " + f.last_seen.ToString() +
                  ", only a few tries per account. That is password spraying: a few common "
                  "passwords against many accounts, staying under per-account lockouts.";
  if (inside) {
    f.explanation +=
        " It comes from inside your network, so a machine of yours is probably "
        "infected.";
  }
  f.next_steps = {
      inside ? "Find and isolate the machine(s): " + who + "."
             : "Block the source(s) at the firewall: " + who + ".",
      "Check each listed account for a later successful login (reported as "
      "account_compromise); force a reset for those only.",
      "Enforce strong passwords or MFA; consider per-account and per-network AUTH limits."};
  SetVerdict(f, inside ? "password spraying from inside" : "password spraying");
  (void)ctx;
}

}  // namespace

void DetectPasswordSpraying(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  for (const ClientSweep& s : ctx.auth.sweeps) {
    if (s.verdict != AuthVerdict::kSpraying) continue;
    const bool inside = ctx.Inside(s.client);
    const std::string host = ev.ClientText(s.client);
    Finding f = NewFinding("password_spraying", inside ? Severity::kCritical : Severity::kHigh,
                           "triage", {host}, s.first, s.last);
    f.client_ip = host;
    f.users = UserNames(ev, s.users);
    f.counts["failures"] = s.failures.size();
    f.counts["distinct_users"] = s.users.size();
    if (s.has_fingerprints) f.counts["distinct_secrets"] = s.distinct_secrets;
    f.counts["attempts_per_user"] = s.attempts_per_user;
    AddAttemptOrigins(f, ev, s.failures);
    Explain(ctx, f, inside, host, f.users, static_cast<int64_t>(s.failures.size()));
    ctx.findings.push_back(std::move(f));
  }
  for (const DistributedAttack& d : ctx.auth.distributed) {
    if (d.verdict != AuthVerdict::kSpraying) continue;
    bool inside = false;
    std::vector<std::string> hosts;
    for (uint32_t c : d.clients) {
      inside |= ctx.Inside(c);
      hosts.push_back(ev.ClientText(c));
    }
    std::string key(d.secret == kNone ? std::string_view("distributed") : ev.secrets.Get(d.secret));
    Finding f = NewFinding("password_spraying", inside ? Severity::kCritical : Severity::kHigh,
                           "triage", {"distributed", key}, d.first, d.last);
    if (d.clients.size() == 1) f.client_ip = hosts.front();
    f.users = UserNames(ev, d.users);
    f.counts["failures"] = d.failures.size();
    f.counts["distinct_users"] = d.users.size();
    f.counts["clients"] = d.clients.size();
    f.counts["distinct_secrets"] = d.distinct_secrets;
    f.evidence["clients"] = hosts;
    AddAttemptOrigins(f, ev, d.failures);
    std::string who =
        Count(static_cast<int64_t>(hosts.size()), "host") + " (" + ShortList(hosts) + ")";
    Explain(ctx, f, inside, who, f.users, static_cast<int64_t>(d.failures.size()));
    if (d.secret != kNone) {
      f.explanation += " The same password was tried on every one of these accounts.";
    }
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
