// password_spraying: many accounts from one host (or a few), few passwords each — or one
// password tried against many accounts from any hosts. Severity: high outside, critical inside.
#include "detect/auth_attack_finding.h"

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
    bool inside = false;
    std::string host;
    Finding f = SweepFinding(ctx, s, "password_spraying", true, &inside, &host);
    Explain(ctx, f, inside, host, f.users, static_cast<int64_t>(s.failures.size()));
    ctx.findings.push_back(std::move(f));
  }
  for (const DistributedAttack& d : ctx.auth.distributed) {
    if (d.verdict != AuthVerdict::kSpraying) continue;
    bool inside = false;
    std::vector<std::string> hosts;
    // Keyed by the shared password's fingerprint when there is one (ids as before).
    std::string key(d.secret == kNone ? std::string_view("distributed") : ev.secrets.Get(d.secret));
    Finding f = DistributedFinding(ctx, d, "password_spraying", key, &inside, &hosts);
    if (d.clients.size() == 1) f.client_ip = hosts.front();
    Explain(ctx, f, inside, HostsText(hosts), f.users, static_cast<int64_t>(d.failures.size()));
    if (d.secret != kNone) {
      f.explanation += " The same password was tried on every one of these accounts.";
    }
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
