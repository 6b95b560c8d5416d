// bulk_outbound: an account (or, for unauthenticated mail, a host) sending far more than normal
// with signs of spam. Volume is measured in the busiest --bulk-window: messages, outside
// recipients, distinct recipient domains; "far more" is an absolute default (policyd-rate-limit,
// Courier, M365 figures in the anchors) or --bulk-history-factor times the account's own busiest
// earlier hour. Spam signs: rejected-recipient share, header From not the account, one subject
// to many, many recipient domains. Severity: high with a spam sign, low for volume alone (a
// newsletter or a mailing is large but not spam). Outside recipients = not in the local domains;
// without local domains every recipient counts, and hosts are judged only for authenticated
// accounts (unauthenticated host mail is then not known to be outbound).
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

constexpr double kUs = 1e6;

struct Group {
  uint32_t user = kNone, client = kNone;
  std::vector<uint32_t> messages;  // indexes into Evidence::messages
};

bool Outside(const DetectContext& ctx, const RecipientRef& r) {
  if (!ctx.loc.has_local_domains()) return true;
  return r.domain == kNone || !ctx.LocalDomain(r.domain);
}

int64_t OutsideRecipients(const DetectContext& ctx, const MessageRec& m) {
  int64_t n = 0;
  for (uint32_t i = 0; i < m.rcpt_count; ++i)
    n += Outside(ctx, ctx.ev.recipients[m.rcpt_begin + i]);
  return n;
}

void Judge(DetectContext& ctx, const Group& g) {
  const Evidence& ev = ctx.ev;
  const DetectConfig& c = ctx.cfg;
  const int64_t w = static_cast<int64_t>(c.bulk_window_s * kUs);
  std::vector<int64_t> rc(g.messages.size());
  for (size_t i = 0; i < g.messages.size(); ++i)
    rc[i] = OutsideRecipients(ctx, ev.messages[g.messages[i]]);
  // Busiest window by outside recipients (ties: more messages).
  size_t b = 0, best_b = 0, best_e = 0;
  int64_t sum = 0, best_sum = -1, best_msgs = 0;
  for (size_t e = 0; e < g.messages.size(); ++e) {
    sum += rc[e];
    while (ev.messages[g.messages[e]].ts - ev.messages[g.messages[b]].ts > w) sum -= rc[b++];
    int64_t msgs = static_cast<int64_t>(e - b + 1);
    if (sum > best_sum || (sum == best_sum && msgs > best_msgs)) {
      best_sum = sum;
      best_msgs = msgs;
      best_b = b;
      best_e = e;
    }
  }
  if (best_sum <= 0) return;
  const int64_t start = ev.messages[g.messages[best_b]].ts;
  const int64_t end = ev.messages[g.messages[best_e]].ts;
  // History: the busiest earlier hour of this account/host, outside the window.
  std::unordered_map<int64_t, int64_t> hours;
  for (size_t i = 0; i < best_b; ++i) {
    hours[ev.messages[g.messages[i]].ts / (3600 * 1000000ll)] += rc[i];
  }
  int64_t history_max = 0;
  for (const auto& [h, n] : hours) history_max = std::max(history_max, n);
  const bool has_history = !hours.empty();
  const bool above_history = has_history && best_sum >= c.bulk_history_min_recipients &&
                             best_sum >= c.bulk_history_factor * std::max<int64_t>(history_max, 1);
  const bool volume =
      best_sum >= c.bulk_min_recipients || best_msgs >= c.bulk_min_messages || above_history;
  if (!volume) return;

  std::unordered_set<uint32_t> domains;
  std::unordered_map<uint32_t, int64_t> subject_rcpts, client_msgs;
  int64_t mismatch = 0, with_from = 0;
  std::vector<std::string> origins;
  for (size_t i = best_b; i <= best_e; ++i) {
    const MessageRec& m = ev.messages[g.messages[i]];
    for (uint32_t k = 0; k < m.rcpt_count; ++k) {
      const RecipientRef& r = ev.recipients[m.rcpt_begin + k];
      if (Outside(ctx, r) && r.domain != kNone) domains.insert(r.domain);
    }
    if (m.subject != kNone) subject_rcpts[m.subject] += rc[i];
    if (m.client != kNone) ++client_msgs[m.client];
    if (m.user != kNone) {
      ++with_from;
      mismatch += m.from_mismatch;
    }
    if (origins.size() < 5) origins.push_back(ev.OriginText(m.origin));
  }
  int64_t rejected = 0;
  // Rejects are in time order (EvidenceCollector::Finalize): only the window's are read.
  auto first_reject = std::lower_bound(ev.rejects.begin(), ev.rejects.end(), start,
                                       [](const RejectRec& r, int64_t t) { return r.ts < t; });
  for (auto it = first_reject; it != ev.rejects.end() && it->ts <= end + w; ++it) {
    const RejectRec& r = *it;
    if (g.user != kNone ? r.user == g.user : (r.user == kNone && r.client == g.client)) ++rejected;
  }
  int64_t top_subject = 0;
  uint32_t top_subject_id = kNone;
  // Ties go to the smaller text, never to an id or the map's order: the same events give the same
  // finding in whatever order they arrived (a rotated log read after the current one).
  for (const auto& [s, n] : subject_rcpts) {
    if (n > top_subject || (n == top_subject && top_subject_id != kNone &&
                            ev.texts.Get(s) < ev.texts.Get(top_subject_id))) {
      top_subject = n;
      top_subject_id = s;
    }
  }
  std::vector<std::string> signs;
  double rejected_ratio = static_cast<double>(rejected) / static_cast<double>(rejected + best_sum);
  if (rejected >= 5 && rejected_ratio >= c.bulk_rejected_ratio) {
    signs.push_back(std::to_string(static_cast<int>(rejected_ratio * 100)) +
                    " % of recipients were rejected");
  }
  if (with_from > 0 && mismatch >= c.bulk_from_mismatch_ratio * with_from && mismatch > 0) {
    signs.push_back("the From header is not the account in " + std::to_string(mismatch) + " of " +
                    std::to_string(with_from) + " messages");
  }
  if (top_subject >= c.bulk_same_subject_recipients) {
    signs.push_back("one subject went to " + std::to_string(top_subject) + " recipients");
  }
  if (static_cast<int64_t>(domains.size()) >= c.bulk_min_domains) {
    signs.push_back(std::to_string(domains.size()) + " different recipient domains");
  }
  // The host: the one that sent most of the window's messages (an attacker often logs in from
  // a different host than the one that guessed the password).
  // Ties: the smaller address (ids follow the order events arrived in).
  uint32_t top_client = g.client;
  int64_t top_count = 0;
  for (const auto& [cl, n] : client_msgs) {
    if (n > top_count ||
        (n == top_count && (top_client == kNone || ev.clients[cl] < ev.clients[top_client]))) {
      top_client = cl;
      top_count = n;
    }
  }
  const std::string host = ev.ClientText(top_client);
  const std::string user = ev.UserText(g.user);
  const bool inside = ctx.Inside(top_client);
  Finding f = NewFinding(
      "bulk_outbound", signs.empty() ? Severity::kLow : Severity::kHigh, "compromised-account",
      {user.empty() ? "host" : "account", user.empty() ? host : user}, start, end);
  f.client_ip = host;
  f.user = user;
  f.counts["messages"] = best_msgs;
  f.counts["recipients"] = best_sum;
  f.counts["recipient_domains"] = domains.size();
  f.counts["rejected_recipients"] = rejected;
  f.counts["from_mismatch"] = mismatch;
  f.counts["same_subject_recipients"] = top_subject;
  if (has_history) f.counts["history_max_hourly_recipients"] = history_max;
  if (top_subject_id != kNone) f.evidence["subject"] = ev.texts.Get(top_subject_id);
  f.evidence["spam_signs"] = signs;
  AddOrigins(f, origins);
  std::string who = !user.empty()
                        ? "The account " + user + (host.empty() ? "" : " (from " + host + ")")
                        : "The host " + host + " (without logging in)";
  f.explanation = who + " sent " + Count(best_msgs, "message") + " to " +
                  Count(best_sum, "outside recipient") + " within " + Seconds(c.bulk_window_s) +
                  " (" + f.first_seen.ToString() + " to " + f.last_seen.ToString() + ")";
  if (above_history) {
    f.explanation +=
        ", far above its own busiest earlier hour (" + std::to_string(history_max) + " recipients)";
  }
  if (signs.empty()) {
    f.explanation +=
        ". No spam signs were seen (recipients accepted, From matches, varied "
        "subjects): probably a legitimate mailing, but worth a look.";
    f.next_steps = {"Ask the owner whether this mailing was intended.",
                    "Large mailings belong on a list service; they can get the server's address "
                    "throttled."};
    f.playbook = "triage";
    SetVerdict(f, "large sending, no spam signs");
  } else {
    f.explanation += ", with signs of spam: " + ShortList(signs, 4) +
                     ". An account or machine sending like this is almost always compromised, "
                     "and the server's address will be blocklisted if it goes on.";
    if (!user.empty()) {
      f.next_steps = {"Suspend outgoing mail for " + user +
                          " and hold its queued messages "
                          "(postsuper -h).",
                      "Reset the password and end its sessions (mxir reset " + user + ").",
                      "Check the account's forwarding and filter rules; tell the owner.",
                      "Check the server's address on blocklists (mxir dnsbl check)."};
    } else {
      f.next_steps = {std::string(inside ? "Isolate the machine at " : "Block ") + host +
                          " and hold its queued messages (postsuper -h).",
                      "Check why the server accepts its mail without login (mynetworks).",
                      "Check the server's address on blocklists (mxir dnsbl check)."};
    }
    SetVerdict(f, "spam sent through " + (user.empty() ? host : user));
  }
  ctx.findings.push_back(std::move(f));
}

}  // namespace

void DetectBulkOutbound(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  std::unordered_map<uint32_t, Group> by_user, by_client;
  std::vector<uint32_t> user_order, client_order;
  for (uint32_t i = 0; i < ev.messages.size(); ++i) {
    const MessageRec& m = ev.messages[i];
    if (!m.accepted || m.rcpt_count == 0) continue;
    if (m.user != kNone) {
      auto [it, added] = by_user.try_emplace(m.user);
      if (added) user_order.push_back(m.user);
      it->second.user = m.user;
      if (it->second.client == kNone) it->second.client = m.client;
      it->second.messages.push_back(i);
    } else if (m.client != kNone && ctx.loc.has_local_domains()) {
      auto [it, added] = by_client.try_emplace(m.client);
      if (added) client_order.push_back(m.client);
      it->second.client = m.client;
      it->second.messages.push_back(i);
    }
  }
  for (uint32_t u : user_order) Judge(ctx, by_user[u]);
  for (uint32_t c : client_order) Judge(ctx, by_client[c]);
}

}  // namespace mxir::detect
