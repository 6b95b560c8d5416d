// credential_stuffing: many distinct account/password pairs, each tried about once (pairs from
// breach dumps), usually from many hosts. Severity: high outside, critical inside.
#include "detect/auth_attack_finding.h"

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
  for (const ClientSweep& s : ctx.auth.sweeps) {
    if (s.verdict != AuthVerdict::kStuffing) continue;
    bool inside = false;
    std::string host;
    Finding f = SweepFinding(ctx, s, "credential_stuffing", false, &inside, &host);
    Fill(ctx, f, inside, host, static_cast<int64_t>(s.failures.size()));
    ctx.findings.push_back(std::move(f));
  }
  for (const DistributedAttack& d : ctx.auth.distributed) {
    if (d.verdict != AuthVerdict::kStuffing) continue;
    bool inside = false;
    std::vector<std::string> hosts;
    Finding f = DistributedFinding(ctx, d, "credential_stuffing", {}, &inside, &hosts);
    Fill(ctx, f, inside, HostsText(hosts), static_cast<int64_t>(d.failures.size()));
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
