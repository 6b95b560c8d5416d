// credential_stuffing: many distinct account/password pairs, each tried about once (pairs from
// breach dumps), usually from many hosts. Severity: high outside, critical inside.
#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

void Fill(DetectContext& ctx, Finding& f, bool inside, const std::string& who, int64_t failures) {
  f.explanation = who + " tried " + Count(static_cast<int64_t>(f.users.size()), "account") + " (" +
                  ShortList(f.users, 5) + ") about once each, " + Count(failures, "failed login") +
                  " in all between " + f.first_seen.ToString() + " and " + f.last_seen.ToString() +
                  ", each with its own password. That is credential stuffing: account and "
                  "password pairs leaked from other sites, tried here in case people reuse "
                  "them.";
  f.next_steps = {
      inside ? "Find and isolate the machine(s) inside: " + who + "."
             : "Block the sources where practical: " + who + ".",
      "Any of these accounts that then logs in successfully is compromised (reported as "
      "account_compromise): force a reset and end its sessions.",
      "Tell the listed users their password for another site has leaked and must not be "
      "reused."};
  SetVerdict(f, inside ? "credential stuffing from inside" : "credential stuffing");
  (void)ctx;
}

}  // namespace

void DetectCredentialStuffing(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  for (const ClientSweep& s : ctx.auth.sweeps) {
    if (s.verdict != AuthVerdict::kStuffing) continue;
    const bool inside = ctx.Inside(s.client);
    const std::string host = ev.ClientText(s.client);
    Finding f = NewFinding("credential_stuffing", inside ? Severity::kCritical : Severity::kHigh,
                           "triage", {host}, s.first, s.last);
    f.client_ip = host;
    f.users = UserNames(ev, s.users);
    f.counts["failures"] = s.failures.size();
    f.counts["distinct_users"] = s.users.size();
    f.counts["distinct_secrets"] = s.distinct_secrets;
    f.counts["attempts_per_user"] = s.attempts_per_user;
    AddAttemptOrigins(f, ev, s.failures);
    Fill(ctx, f, inside, host, static_cast<int64_t>(s.failures.size()));
    ctx.findings.push_back(std::move(f));
  }
  for (const DistributedAttack& d : ctx.auth.distributed) {
    if (d.verdict != AuthVerdict::kStuffing) continue;
    bool inside = false;
    std::vector<std::string> hosts;
    for (uint32_t c : d.clients) {
      inside |= ctx.Inside(c);
      hosts.push_back(ev.ClientText(c));
    }
    Finding f = NewFinding("credential_stuffing", inside ? Severity::kCritical : Severity::kHigh,
                           "triage", {"distributed"}, d.first, d.last);
    f.users = UserNames(ev, d.users);
    f.counts["failures"] = d.failures.size();
    f.counts["distinct_users"] = d.users.size();
    f.counts["clients"] = d.clients.size();
    f.counts["distinct_secrets"] = d.distinct_secrets;
    f.evidence["clients"] = hosts;
    AddAttemptOrigins(f, ev, d.failures);
    Fill(ctx, f, inside,
         Count(static_cast<int64_t>(hosts.size()), "host") + " (" + ShortList(hosts) + ")",
         static_cast<int64_t>(d.failures.size()));
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
