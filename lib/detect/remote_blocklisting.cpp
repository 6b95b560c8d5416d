// remote_blocklisting: remote servers refusing our mail and citing a blocklist — in our MTA's
// delivery log lines, or in replies a server gave one of our hosts (a host inside or a case
// asset: a reply citing a list to an outside client is our own server refusing a listed
// sender, not news about us). One finding per (list, listed IP); the listed IP is the one the
// text names, else our host that was refused. The engine adds each listed IP to the case's
// assets so `mxir dnsbl watch` follows it. Severity: high.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/detect_context.h"
#include "detect/runaway_guard.h"

namespace mxir::detect {

void DetectRemoteBlocklisting(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  // One group per (list, listed IP). A runaway input names tens of thousands of them, so the
  // pass over the replies only numbers the groups and counts; the replies and remote servers of
  // a group are gathered only for the groups that become findings.
  struct Group {
    std::string list, ip;
    int64_t replies = 0;
    uint32_t first = 0;  // index into ev.replies of its first reply (time order)
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, uint32_t> group_of;  // list + '\0' + ip -> index into groups
  std::vector<uint32_t> reply_group(ev.replies.size(), kNone);
  std::unordered_map<uint32_t, std::string> client_text;  // each refused host written once
  std::string key;
  for (uint32_t i = 0; i < ev.replies.size(); ++i) {
    const RemoteReply& r = ev.replies[i];
    if (r.kind != RemoteReplyKind::kBlocklist) continue;
    if (!r.delivery && !ctx.Inside(r.client)) continue;
    const std::string* ip = &r.listed_ip;
    if (ip->empty()) {
      auto [it, added] = client_text.try_emplace(r.client);
      if (added) it->second = ev.ClientText(r.client);
      ip = &it->second;
    }
    key.assign(r.list);
    key.push_back('\0');
    key.append(*ip);
    auto [it, added] = group_of.try_emplace(key, static_cast<uint32_t>(groups.size()));
    if (added) groups.push_back({r.list, *ip, 0, i});
    ++groups[it->second].replies;
    reply_group[i] = it->second;
  }
  // The groups that make a finding. When the input claims more than kMaxListedFindings of our
  // addresses (runaway_guard.h), only the most rejected become findings, and the rest one summary,
  // without building a finding for each of them (tens of thousands on such an input): the same
  // findings SummarizeRunaway would leave, in the order it ranks them (most rejections, then
  // first seen, then id).
  struct Candidate {
    uint32_t group;
    std::string id;
  };
  std::vector<Candidate> shown;
  for (uint32_t g = 0; g < groups.size(); ++g) {
    if (groups[g].replies < ctx.cfg.blocklist_min_replies) continue;
    shown.push_back({g, {}});
  }
  if (shown.size() > kMaxListedFindings) {
    for (Candidate& c : shown) {
      c.id = StableId("remote_blocklisting", {groups[c.group].list, groups[c.group].ip});
    }
    auto before = [&](const Candidate& a, const Candidate& b) {
      const Group& x = groups[a.group];
      const Group& y = groups[b.group];
      if (x.replies != y.replies) return x.replies > y.replies;
      const int64_t xt = ev.replies[x.first].ts, yt = ev.replies[y.first].ts;
      if (xt != yt) return xt < yt;
      return a.id < b.id;
    };
    std::nth_element(shown.begin(), shown.begin() + kMaxListedFindings, shown.end(), before);
    int64_t folded_rejections = 0;
    int64_t first = 0, last = 0;
    std::vector<uint8_t> folded(groups.size(), 0);
    for (size_t k = kMaxListedFindings; k < shown.size(); ++k) {
      const Group& g = groups[shown[k].group];
      folded_rejections += g.replies;
      folded[shown[k].group] = 1;
      const int64_t ts = ev.replies[g.first].ts;
      if (k == kMaxListedFindings || ts < first) first = ts;
    }
    // The last reply of the folded groups (the replies are in time order).
    for (uint32_t i = static_cast<uint32_t>(ev.replies.size()); i-- > 0;) {
      if (reply_group[i] != kNone && folded[reply_group[i]]) {
        last = ev.replies[i].ts;
        break;
      }
    }
    ctx.listed_folded = shown.size() - kMaxListedFindings;
    ctx.findings.push_back(RunawaySummary(shown.size(), ctx.listed_folded, folded_rejections,
                                          Timestamp::FromMicros(first),
                                          Timestamp::FromMicros(last)));
    shown.resize(kMaxListedFindings);
  }
  // The replies of the groups shown, in time order.
  std::vector<uint32_t> slot(groups.size(), kNone);
  for (uint32_t k = 0; k < shown.size(); ++k) slot[shown[k].group] = k;
  std::vector<std::vector<const RemoteReply*>> shown_replies(shown.size());
  for (uint32_t i = 0; i < ev.replies.size(); ++i) {
    if (reply_group[i] == kNone || slot[reply_group[i]] == kNone) continue;
    shown_replies[slot[reply_group[i]]].push_back(&ev.replies[i]);
  }
  for (uint32_t k = 0; k < shown.size(); ++k) {
    const std::string& list = groups[shown[k].group].list;
    const std::string& ip = groups[shown[k].group].ip;
    const std::vector<const RemoteReply*>& replies = shown_replies[k];
    std::set<std::string> remotes;
    for (const RemoteReply* r : replies) {
      if (!r->remote.empty()) remotes.insert(r->remote);
    }
    Finding f = NewFinding("remote_blocklisting", Severity::kHigh, "blocklisted", {list, ip},
                           replies.front()->ts, replies.back()->ts);
    f.client_ip = ip;
    f.counts["rejections"] = replies.size();
    f.counts["remote_servers"] = remotes.size();
    f.evidence["blocklist"] = list;
    if (!ip.empty()) f.evidence["listed_ip"] = ip;
    auto texts = nlohmann::ordered_json::array();
    std::set<std::string> seen;
    std::vector<std::string> origins;
    for (const RemoteReply* r : replies) {
      if (texts.size() < 3 && seen.insert(r->text).second) texts.push_back(r->text);
      if (origins.size() < 5) origins.push_back(ev.OriginText(r->origin));
    }
    f.evidence["reply_text"] = texts;
    f.evidence["remote_servers"] = std::vector<std::string>(remotes.begin(), remotes.end());
    AddOrigins(f, origins);
    std::string who = ip.empty() ? "your server" : ip;
    f.explanation = Count(static_cast<int64_t>(replies.size()), "delivery", "deliveries") +
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
