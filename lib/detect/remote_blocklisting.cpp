// remote_blocklisting: remote servers refusing our mail and citing a blocklist — in our MTA's
// delivery log lines, or in replies a server gave one of our hosts (a host inside or a case
// asset: a reply citing a list to an outside client is our own server refusing a listed
// sender, not news about us). One finding per (list, listed IP); the listed IP is the one the
// text names, else our host that was refused. The engine adds each listed IP to the case's
// assets so `mxir dnsbl watch` follows it. Severity: high.
#include <algorithm>
#include <map>
#include <set>

#include "detect/detect_context.h"
#include "detect/runaway_guard.h"

namespace mxir::detect {

void DetectRemoteBlocklisting(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  struct Group {
    std::vector<const RemoteReply*> replies;
    std::set<std::string> remotes;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const RemoteReply& r : ev.replies) {
    if (r.kind != RemoteReplyKind::kBlocklist) continue;
    if (!r.delivery && !ctx.Inside(r.client)) continue;
    std::string ip = !r.listed_ip.empty() ? r.listed_ip : ev.ClientText(r.client);
    Group& g = groups[{r.list, ip}];
    g.replies.push_back(&r);
    if (!r.remote.empty()) g.remotes.insert(r.remote);
  }
  // The groups that make a finding. When the input claims more than kMaxListedFindings of our
  // addresses (runaway_guard.h), only the most rejected become findings, and the rest one summary,
  // without building a finding for each of them (tens of thousands on such an input): the same
  // findings SummarizeRunaway would leave, in the order it ranks them (most rejections, then
  // first seen, then id).
  struct Candidate {
    const std::pair<std::string, std::string>* key;
    const Group* group;
    std::string id;
  };
  std::vector<Candidate> shown;
  for (const auto& [key, g] : groups) {
    if (static_cast<int64_t>(g.replies.size()) < ctx.cfg.blocklist_min_replies) continue;
    shown.push_back({&key, &g, {}});
  }
  if (shown.size() > kMaxListedFindings) {
    for (Candidate& c : shown)
      c.id = StableId("remote_blocklisting", {c.key->first, c.key->second});
    auto before = [](const Candidate& a, const Candidate& b) {
      if (a.group->replies.size() != b.group->replies.size()) {
        return a.group->replies.size() > b.group->replies.size();
      }
      if (a.group->replies.front()->ts != b.group->replies.front()->ts) {
        return a.group->replies.front()->ts < b.group->replies.front()->ts;
      }
      return a.id < b.id;
    };
    std::nth_element(shown.begin(), shown.begin() + kMaxListedFindings, shown.end(), before);
    int64_t folded_rejections = 0;
    int64_t first = 0, last = 0;
    for (size_t k = kMaxListedFindings; k < shown.size(); ++k) {
      const Group& g = *shown[k].group;
      folded_rejections += static_cast<int64_t>(g.replies.size());
      if (k == kMaxListedFindings || g.replies.front()->ts < first) first = g.replies.front()->ts;
      if (k == kMaxListedFindings || g.replies.back()->ts > last) last = g.replies.back()->ts;
    }
    ctx.listed_folded = shown.size() - kMaxListedFindings;
    ctx.findings.push_back(RunawaySummary(shown.size(), ctx.listed_folded, folded_rejections,
                                          Timestamp::FromMicros(first),
                                          Timestamp::FromMicros(last)));
    shown.resize(kMaxListedFindings);
  }
  for (const Candidate& c : shown) {
    const auto& [list, ip] = *c.key;
    const Group& g = *c.group;
    Finding f = NewFinding("remote_blocklisting", Severity::kHigh, "blocklisted", {list, ip},
                           g.replies.front()->ts, g.replies.back()->ts);
    f.client_ip = ip;
    f.counts["rejections"] = g.replies.size();
    f.counts["remote_servers"] = g.remotes.size();
    f.evidence["blocklist"] = list;
    if (!ip.empty()) f.evidence["listed_ip"] = ip;
    auto texts = nlohmann::ordered_json::array();
    std::set<std::string> seen;
    std::vector<std::string> origins;
    for (const RemoteReply* r : g.replies) {
      if (texts.size() < 3 && seen.insert(r->text).second) texts.push_back(r->text);
      if (origins.size() < 5) origins.push_back(ev.OriginText(r->origin));
    }
    f.evidence["reply_text"] = texts;
    f.evidence["remote_servers"] = std::vector<std::string>(g.remotes.begin(), g.remotes.end());
    AddOrigins(f, origins);
    std::string who = ip.empty() ? "your server" : ip;
    f.explanation = Count(static_cast<int64_t>(g.replies.size()), "delivery", "deliveries") +
                    " between " + f.first_seen.ToString() + " and " + f.last_seen.ToString() +
                    " were refused because " + who + " is on " + list +
                    ". Until it is delisted, mail from that address to servers that use the list "
                    "bounces or waits in the queue.";
    f.next_steps = {
        "Find and stop what got the address listed first (a compromised account or "
        "machine, an open relay): look at the other findings.",
        "Confirm the listing (mxir dnsbl check --ip " + (ip.empty() ? "IP" : ip) +
            ") and request delisting once the cause is fixed (mxir dnsbl delist).",
        "Meanwhile send urgent mail through another path (mxir relay).",
        "mxir detect added the address to the case's assets: mxir dnsbl watch "
        "follows it."};
    SetVerdict(f, "our address " + (ip.empty() ? std::string() : ip + " ") + "listed on " + list);
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
