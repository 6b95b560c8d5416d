// inbound_flood: one sender domain delivering an abnormal volume to local users: at least
// --flood-min-messages messages within --flood-window. Senders are grouped by organizational
// domain (news.deals-daily.example and mx2.deals-daily.example are one sender). Needs local
// domains (a message counts when a recipient is local and the sender domain is not).
// Severity: medium.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "detect/detect_context.h"

namespace mxir::detect {

void DetectInboundFlood(DetectContext& ctx) {
  if (!ctx.loc.has_local_domains()) return;
  const Evidence& ev = ctx.ev;
  std::map<std::string, std::vector<uint32_t>> by_domain;
  std::unordered_map<uint32_t, std::string> org;  // sender domain -> organizational domain
  for (uint32_t i = 0; i < ev.messages.size(); ++i) {
    const MessageRec& m = ev.messages[i];
    if (!m.accepted || m.sender_domain == kNone) continue;
    if (ctx.LocalDomain(m.sender_domain)) continue;
    bool local = false;
    for (uint32_t k = 0; k < m.rcpt_count && !local; ++k) {
      uint32_t d = ev.recipients[m.rcpt_begin + k].domain;
      local = ctx.LocalDomain(d);
    }
    if (!local) continue;
    auto [it, added] = org.try_emplace(m.sender_domain);
    if (added) it->second = OrganizationalDomain(ev.domains.Get(m.sender_domain));
    by_domain[it->second].push_back(i);
  }
  const int64_t w = static_cast<int64_t>(ctx.cfg.flood_window_s * 1e6);
  for (const auto& [domain, idx] : by_domain) {
    if (static_cast<int64_t>(idx.size()) < ctx.cfg.flood_min_messages) continue;
    size_t b = 0, best_b = 0, best_e = 0;
    for (size_t e = 0; e < idx.size(); ++e) {
      while (ev.messages[idx[e]].ts - ev.messages[idx[b]].ts > w) ++b;
      if (e - b > best_e - best_b) {
        best_b = b;
        best_e = e;
      }
    }
    const int64_t n = static_cast<int64_t>(best_e - best_b + 1);
    if (n < ctx.cfg.flood_min_messages) continue;
    std::unordered_set<uint32_t> clients, rcpts;
    std::set<std::string> sender_domains;
    std::map<std::string, int64_t> subjects;
    std::vector<std::string> origins;
    for (size_t i = best_b; i <= best_e; ++i) {
      const MessageRec& m = ev.messages[idx[i]];
      if (m.client != kNone) clients.insert(m.client);
      sender_domains.emplace(ev.domains.Get(m.sender_domain));
      for (uint32_t k = 0; k < m.rcpt_count; ++k)
        rcpts.insert(ev.recipients[m.rcpt_begin + k].address);
      if (m.subject != kNone) ++subjects[std::string(ev.texts.Get(m.subject))];
      if (origins.size() < 5) origins.push_back(ev.OriginText(m.origin));
    }
    const std::string& sender = domain;
    Finding f = NewFinding("inbound_flood", Severity::kMedium, "inbound-flood", {sender},
                           ev.messages[idx[best_b]].ts, ev.messages[idx[best_e]].ts);
    std::vector<std::string> hosts;
    for (uint32_t c : clients) hosts.push_back(ev.ClientText(c));
    std::sort(hosts.begin(), hosts.end());
    if (hosts.size() == 1) f.client_ip = hosts.front();
    f.counts["messages"] = n;
    f.counts["recipients"] = rcpts.size();
    f.counts["clients"] = hosts.size();
    f.evidence["sender_domain"] = sender;
    f.evidence["sender_domains"] =
        std::vector<std::string>(sender_domains.begin(), sender_domains.end());
    f.evidence["clients"] = hosts;
    if (!subjects.empty()) {
      auto top = std::max_element(subjects.begin(), subjects.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
      f.evidence["subject"] = top->first;
    }
    AddOrigins(f, origins);
    f.explanation = sender + " delivered " + Count(n, "message") + " to " +
                    Count(static_cast<int64_t>(rcpts.size()), "local recipient") + " within " +
                    Seconds(ctx.cfg.flood_window_s) + " (" + f.first_seen.ToString() + " to " +
                    f.last_seen.ToString() + ") from " + ShortList(hosts) +
                    ". A flood like this (a newsletter gone wild, a mail bomb, or a backscatter "
                    "wave) fills mailboxes and the queue and slows mail for everyone.";
    f.next_steps = {"Rate-limit or temporarily reject mail from " + sender +
                        " (check_sender_access, or a firewall rule for its hosts).",
                    "If it is a newsletter, unsubscribe the affected users or ask the sender "
                    "to stop.",
                    "Watch the queue (mailq) and disk space."};
    SetVerdict(f, "mail flood from " + sender);
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
