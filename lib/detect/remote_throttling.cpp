// remote_throttling: a provider or remote servers deferring or refusing our hosts or our mail
// for rate or reputation reasons without naming a blocklist ("too many", "rate limit",
// "temporarily restricted", Gmail 4.7.28, Yahoo TS0x, ...): often the very first symptom. Our
// hosts: hosts inside or case assets (replies), or our MTA (delivery lines). Hosts judged to be
// attacking are left out (their throttling is the server defending itself). One finding per
// throttled host (or "our MTA" for delivery lines), at least --throttle-min-replies replies.
// Severity: medium.
#include <map>
#include <set>

#include "detect/detect_context.h"

namespace mxir::detect {

void DetectRemoteThrottling(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  struct Group {
    std::vector<const RemoteReply*> replies;
    std::set<std::string> remotes;
  };
  std::map<std::string, Group> groups;
  for (const RemoteReply& r : ev.replies) {
    if (r.kind != RemoteReplyKind::kThrottle) continue;
    if (!r.delivery && (!ctx.Inside(r.client) || ctx.auth.IsAttacker(r.client))) continue;
    Group& g = groups[r.delivery ? std::string() : ev.ClientText(r.client)];
    g.replies.push_back(&r);
    if (!r.remote.empty()) g.remotes.insert(r.remote);
  }
  for (const auto& [host, g] : groups) {
    if (static_cast<int64_t>(g.replies.size()) < ctx.cfg.throttle_min_replies) continue;
    Finding f =
        NewFinding("remote_throttling", Severity::kMedium, "throttled",
                   {host.empty() ? "mta" : host}, g.replies.front()->ts, g.replies.back()->ts);
    f.client_ip = host;
    f.counts["replies"] = g.replies.size();
    f.counts["remote_servers"] = g.remotes.size();
    auto texts = nlohmann::ordered_json::array();
    std::set<std::string> seen;
    std::vector<std::string> origins;
    for (const RemoteReply* r : g.replies) {
      if (texts.size() < 3 && seen.insert(r->text).second) texts.push_back(r->text);
      if (origins.size() < 5) origins.push_back(ev.OriginText(r->origin));
    }
    f.evidence["reply_text"] = texts;
    std::vector<std::string> remotes(g.remotes.begin(), g.remotes.end());
    f.evidence["remote_servers"] = remotes;
    AddOrigins(f, origins);
    std::string who = host.empty() ? "Your mail server's outgoing mail" : "Your host " + host;
    f.explanation = who + " was deferred or refused " +
                    Count(static_cast<int64_t>(g.replies.size()), "time") + " between " +
                    f.first_seen.ToString() + " and " + f.last_seen.ToString() +
                    (remotes.empty() ? std::string() : " by " + ShortList(remotes)) +
                    " for rate or reputation reasons (for example: \"" + g.replies.front()->text +
                    "\"). The provider is slowing you down; it usually follows many failed "
                    "logins or a burst of mail from the same address.";
    f.next_steps = {
        "Look at the other findings for the same address: a stale device "
        "(stale_credentials) or a spam burst (bulk_outbound) is the usual cause.",
        "Stop the cause, then wait: most providers lift throttling within hours.",
        "If it persists, use the provider's sender support form."};
    SetVerdict(f, "throttled by " +
                      (remotes.empty() ? std::string("remote servers") : ShortList(remotes, 1)));
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
