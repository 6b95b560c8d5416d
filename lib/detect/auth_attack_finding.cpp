#include "detect/auth_attack_finding.h"

namespace mxir::detect {

Finding SweepFinding(DetectContext& ctx, const ClientSweep& s, const char* kind,
                     bool secrets_if_known, bool* inside, std::string* host) {
  const Evidence& ev = ctx.ev;
  *inside = ctx.Inside(s.client);
  *host = ev.ClientText(s.client);
  Finding f = NewFinding(kind, *inside ? Severity::kCritical : Severity::kHigh, "triage", {*host},
                         s.first, s.last);
  f.client_ip = *host;
  f.users = UserNames(ev, s.users);
  f.counts["failures"] = s.failures.size();
  f.counts["distinct_users"] = s.users.size();
  if (!secrets_if_known || s.has_fingerprints) f.counts["distinct_secrets"] = s.distinct_secrets;
  f.counts["attempts_per_user"] = s.attempts_per_user;
  AddAttemptOrigins(f, ev, s.failures);
  return f;
}

Finding DistributedFinding(DetectContext& ctx, const DistributedAttack& d, const char* kind,
                           std::string_view second_key, bool* inside,
                           std::vector<std::string>* hosts) {
  const Evidence& ev = ctx.ev;
  *inside = false;
  hosts->clear();
  for (uint32_t c : d.clients) {
    *inside |= ctx.Inside(c);
    hosts->push_back(ev.ClientText(c));
  }
  const Severity severity = *inside ? Severity::kCritical : Severity::kHigh;
  Finding f =
      second_key.empty()
          ? NewFinding(kind, severity, "triage", {"distributed"}, d.first, d.last)
          : NewFinding(kind, severity, "triage", {"distributed", second_key}, d.first, d.last);
  f.users = UserNames(ev, d.users);
  f.counts["failures"] = d.failures.size();
  f.counts["distinct_users"] = d.users.size();
  f.counts["clients"] = d.clients.size();
  f.counts["distinct_secrets"] = d.distinct_secrets;
  f.evidence["clients"] = *hosts;
  AddAttemptOrigins(f, ev, d.failures);
  return f;
}

std::string HostsText(const std::vector<std::string>& hosts) {
  return Count(static_cast<int64_t>(hosts.size()), "host") + " (" + ShortList(hosts) + ")";
}

}  // namespace mxir::detect
