// open_relay: our server accepted mail from a client that had not logged in, for a recipient
// outside the local domains. "Our server": the session's server address is inside (or a case
// asset), or unknown (a log line of our own MTA); an accepted RCPT at someone else's MX is our
// own outgoing delivery, not relaying. Needs local domains (--local-domain or the case's domain
// assets); without them nothing is reported and the run's counters say why.
// Severity: critical from outside (anyone on the Internet can send spam through the server);
// low from inside (usually Postfix mynetworks letting office machines send — check it is meant).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

struct Relayed {
  int64_t first = INT64_MAX, last = INT64_MIN;
  std::set<std::pair<uint32_t, uint32_t>> rcpts;  // (session or message, address)
  std::unordered_set<uint32_t> domains, sessions;
  int64_t messages = 0;
  std::vector<std::string> origins;
};

}  // namespace

void DetectOpenRelay(DetectContext& ctx) {
  if (!ctx.loc.has_local_domains()) return;
  const Evidence& ev = ctx.ev;
  auto ours = [&](uint32_t session) {
    if (session == kNone) return true;
    const SessionRec& s = ev.session_recs[session];
    return s.server == kNone || ctx.Inside(s.server);
  };
  auto authed = [&](uint32_t session) {
    return session != kNone && ev.session_recs[session].auth_success;
  };
  auto outside = [&](uint32_t domain) { return domain != kNone && !ctx.LocalDomain(domain); };
  std::map<uint32_t, Relayed> by_client;
  for (uint32_t i = 0; i < ev.messages.size(); ++i) {
    const MessageRec& m = ev.messages[i];
    if (!m.accepted || m.user != kNone || m.client == kNone || authed(m.session) ||
        !ours(m.session)) {
      continue;
    }
    bool any = false;
    Relayed& r = by_client[m.client];
    for (uint32_t k = 0; k < m.rcpt_count; ++k) {
      const RecipientRef& rc = ev.recipients[m.rcpt_begin + k];
      if (!outside(rc.domain)) continue;
      any = true;
      r.rcpts.emplace(m.session == kNone ? kNone - 1 - i : m.session, rc.address);
      r.domains.insert(rc.domain);
    }
    if (!any) continue;
    ++r.messages;
    r.first = std::min(r.first, m.ts);
    r.last = std::max(r.last, m.ts);
    if (m.session != kNone) r.sessions.insert(m.session);
    if (r.origins.size() < 5) r.origins.push_back(ev.OriginText(m.origin));
  }
  for (const auto& rc : ev.relay_rcpts) {
    if (rc.client == kNone || authed(rc.session) || !ours(rc.session) || !outside(rc.domain)) {
      continue;
    }
    Relayed& r = by_client[rc.client];
    r.rcpts.emplace(rc.session, rc.address);
    r.domains.insert(rc.domain);
    r.sessions.insert(rc.session);
    r.first = std::min(r.first, rc.ts);
    r.last = std::max(r.last, rc.ts);
    if (r.origins.size() < 5) r.origins.push_back(ev.OriginText(rc.origin));
  }
  for (auto& [client, r] : by_client) {
    int64_t count = std::max<int64_t>(r.messages, r.sessions.size());
    if (r.rcpts.empty() || count < ctx.cfg.open_relay_min_messages) continue;
    const bool inside = ctx.Inside(client);
    const std::string host = ev.ClientText(client);
    Finding f = NewFinding("open_relay", inside ? Severity::kLow : Severity::kCritical,
                           "open-relay", {host}, r.first, r.last);
    f.client_ip = host;
    f.counts["messages"] = r.messages;
    f.counts["sessions"] = r.sessions.size();
    f.counts["recipients"] = r.rcpts.size();
    f.counts["recipient_domains"] = r.domains.size();
    int64_t rejected = 0;
    for (const RejectRec& x : ev.rejects) rejected += x.client == client && x.user == kNone;
    f.counts["rejected_recipients"] = rejected;
    std::vector<std::string> domains;
    for (uint32_t d : r.domains) domains.emplace_back(ev.domains.Get(d));
    std::sort(domains.begin(), domains.end());
    f.evidence["recipient_domains"] = domains;
    AddOrigins(f, r.origins);
    f.explanation = "The server accepted mail from " + host + " without a login for " +
                    Count(static_cast<int64_t>(r.rcpts.size()), "recipient") +
                    " outside your own domains (" + ShortList(domains) + "), between " +
                    f.first_seen.ToString() + " and " + f.last_seen.ToString() + ".";
    if (inside) {
      f.explanation +=
          " The client is inside your network, so this is probably the server "
          "trusting local machines (Postfix mynetworks) — normal for printers and "
          "apps, but a compromised machine can use it to send spam.";
      f.next_steps = {"Confirm " + host +
                          " is meant to send without logging in; if not, "
                          "remove it from mynetworks.",
                      "Prefer authenticated submission (port 587) for local machines."};
      SetVerdict(f, "relaying for an inside host without login (check mynetworks)");
    } else {
      f.explanation +=
          " Anyone on the Internet can send spam through this server: it will be "
          "blocklisted within hours.";
      f.next_steps = {
          "Close the relay now: in Postfix set smtpd_relay_restrictions = "
          "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination "
          "and check mynetworks.",
          "Hold and review the queue (postqueue -p; postsuper -h ALL).", "Block " + host + ".",
          "Check the server's address on blocklists (mxir dnsbl check)."};
      SetVerdict(f, "open relay used by an outside host");
    }
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
