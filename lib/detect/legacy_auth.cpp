// legacy_auth: the inventory of accounts still logging in with a password over a legacy
// protocol (basic authentication: Entra clientAppUsed "Authenticated SMTP", IMAP4, POP3,
// Exchange ActiveSync, ..., or the BAV2ROPC user agent) — what stops working when the provider
// turns basic authentication off, and what a stale device or an attacker can still use. Only
// accounts with at least one such login that succeeded are listed (a device that only fails is
// stale_credentials or an attack, reported by those detectors). Severity low; info for logins
// older than 30 days before the newest evidence.
#include <map>
#include <set>

#include "detect/detect_context.h"

namespace mxir::detect {

void DetectLegacyAuth(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  struct Agg {
    int64_t first = 0, last = 0;
    int successes = 0, failures = 0;
    std::set<std::string> apps, agents, clients;
    std::vector<std::string> origins;
  };
  std::map<uint32_t, Agg> by_user;
  for (const HostedLoginRec& r : ev.hosted_logins) {
    if (!r.legacy || r.user == kNone) continue;
    Agg& a = by_user[r.user];
    if (a.successes + a.failures == 0) a.first = r.ts;
    a.last = r.ts;
    if (r.result == LoginResult::kSuccess) {
      ++a.successes;
      if (a.origins.size() < 5) a.origins.push_back(ev.OriginText(r.origin));
    } else {
      ++a.failures;
    }
    if (r.app != kNone) a.apps.insert(std::string(ev.texts.Get(r.app)));
    if (r.agent != kNone) a.agents.insert(std::string(ev.texts.Get(r.agent)));
    if (r.client != kNone) a.clients.insert(ev.ClientText(r.client));
  }
  for (const auto& [user_index, a] : by_user) {
    if (a.successes == 0) continue;
    std::string user = ev.UserText(user_index);
    bool recent = ev.last_ts - a.last <= 30 * kMicrosPerDay;
    Finding f = NewFinding("legacy_auth", recent ? Severity::kLow : Severity::kInfo, "triage",
                           {user}, a.first, a.last);
    f.user = user;
    std::vector<std::string> apps(a.apps.begin(), a.apps.end());
    std::vector<std::string> agents(a.agents.begin(), a.agents.end());
    std::vector<std::string> clients(a.clients.begin(), a.clients.end());
    if (!clients.empty()) f.client_ip = clients.front();
    f.counts["successes"] = a.successes;
    f.counts["failures"] = a.failures;
    f.counts["clients"] = static_cast<int64_t>(clients.size());
    f.evidence["client_apps"] = apps;
    if (!agents.empty()) f.evidence["user_agents"] = agents;
    f.evidence["clients"] = clients;
    AddOrigins(f, a.origins);
    f.explanation =
        user + " still logs in with a password over " +
        (apps.empty() ? std::string("a legacy protocol") : ShortList(apps)) + " from " +
        ShortList(clients) +
        " (basic authentication, no multi-factor authentication possible). Microsoft 365 turns "
        "basic authentication for SMTP AUTH off by default in existing tenants at the end of "
        "December 2026 (message center MC786329, updated 27 January 2026; the final removal "
        "date follows in the second half of 2027): the device or program behind these logins "
        "will then fail — and until then, anyone who has the password can use it without a "
        "second factor.";
    f.next_steps = {
        "Find the device or program at " + ShortList(clients) + " that logs in as " + user +
            " (printer, scanner, old mail app, script)",
        "Move it to OAuth (modern authentication), to a connector or relay that "
        "does not need the user's password, or to an app password before the switch-off",
        "Then block basic authentication for " + user +
            " (authentication policy / conditional access)"};
    SetVerdict(f, "basic authentication still in use");
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
