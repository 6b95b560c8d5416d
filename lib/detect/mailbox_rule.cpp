// mailbox_rule: a rule or setting that forwards, redirects, deletes or hides mail, from the
// audit logs (mailbox_change events: New-/Set-/Enable-InboxRule, UpdateInboxRules, Set-Mailbox
// forwarding, transport rules that copy or redirect, Google's out-of-domain forwarding).
// Forwarding and redirecting -> high, deleting or hiding only -> medium; critical when it follows
// a suspicious login for that account (an account_compromise or login_after_attack finding
// before it, or a hosted login that succeeded from a client that was guessing passwords).
// Failed changes (outcome failure) are not counted. One finding per mailbox.
#include <map>

#include "core/ascii.h"
#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

bool Contains(std::string_view hay, std::string_view lower_needle) {
  std::string h(hay);
  for (char& c : h) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return h.find(lower_needle) != std::string::npos;
}

bool Truthy(std::string_view v) { return AsciiEqualsLower(v, "true") || v == "1"; }
bool Set(std::string_view v) {
  return !v.empty() && !AsciiEqualsLower(v, "false") && !AsciiEqualsLower(v, "$null") &&
         !AsciiEqualsLower(v, "null");
}

struct Verdict {
  bool forwards = false, deletes = false, hides = false;
  std::vector<std::string> targets;  // where mail goes
};

Verdict Judge(const MailboxChangeRec& r) {
  Verdict v;
  const std::string& op = r.operation;
  bool rule = Contains(op, "inboxrule") || Contains(op, "transportrule");
  bool mailbox = AsciiEqualsLower(op, "set-mailbox") || AsciiEqualsLower(op, "new-mailbox");
  for (const auto& [name, value] : r.parameters) {
    if (rule &&
        (AsciiEqualsLower(name, "forwardto") || AsciiEqualsLower(name, "forwardasattachmentto") ||
         AsciiEqualsLower(name, "redirectto") || AsciiEqualsLower(name, "redirectmessageto") ||
         AsciiEqualsLower(name, "blindcopyto") || AsciiEqualsLower(name, "copyto")) &&
        Set(value)) {
      v.forwards = true;
      v.targets.push_back(value);
    } else if (rule &&
               (AsciiEqualsLower(name, "deletemessage") ||
                AsciiEqualsLower(name, "softdeletemessage")) &&
               Truthy(value)) {
      v.deletes = true;
    } else if (rule && AsciiEqualsLower(name, "movetofolder") &&
               (Contains(value, "deleted items") || Contains(value, "junk") ||
                Contains(value, "rss") || Contains(value, "conversation history") ||
                Contains(value, "archive"))) {
      v.hides = true;
    } else if (mailbox &&
               (AsciiEqualsLower(name, "forwardingsmtpaddress") ||
                AsciiEqualsLower(name, "forwardingaddress")) &&
               Set(value)) {
      v.forwards = true;
      v.targets.push_back(value);
    } else if (AsciiEqualsLower(op, "updateinboxrules") &&
               (Contains(value, "forward") || Contains(value, "redirect"))) {
      v.forwards = true;
    } else if (AsciiEqualsLower(op, "updateinboxrules") && Contains(value, "delete")) {
      v.deletes = true;
    }
  }
  if (AsciiEqualsLower(op, "email_forwarding_out_of_domain")) {
    v.forwards = true;
    for (const auto& [name, value] : r.parameters) {
      if (Contains(name, "email")) v.targets.push_back(value);
    }
  }
  return v;
}

}  // namespace

void DetectMailboxRules(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  struct Agg {
    int64_t first = 0, last = 0;
    int changes = 0;
    bool forwards = false, deletes = false, hides = false;
    std::vector<std::string> targets, operations, origins, clients, actors;
  };
  std::map<uint32_t, Agg> by_user;
  for (const MailboxChangeRec& r : ev.mailbox_changes) {
    if (r.failed) continue;
    Verdict v = Judge(r);
    if (!v.forwards && !v.deletes && !v.hides) continue;
    Agg& a = by_user[r.user];
    if (a.changes++ == 0) a.first = r.ts;
    a.last = r.ts;
    a.forwards |= v.forwards;
    a.deletes |= v.deletes;
    a.hides |= v.hides;
    auto add = [](std::vector<std::string>& list, const std::string& x) {
      if (x.empty()) return;
      for (const auto& y : list) {
        if (y == x) return;
      }
      list.push_back(x);
    };
    for (const auto& t : v.targets) add(a.targets, t);
    add(a.operations, r.operation);
    add(a.clients, ev.ClientText(r.client));
    add(a.actors, r.actor);
    if (a.origins.size() < 5) a.origins.push_back(ev.OriginText(r.origin));
  }
  for (const auto& [user_index, a] : by_user) {
    std::string user = ev.UserText(user_index);
    // A suspicious login for this account before the change?
    std::string after;
    for (const Finding& f : ctx.findings) {
      if ((f.kind == "account_compromise" || f.kind == "login_after_attack") && f.user == user &&
          f.first_seen.micros() <= a.last) {
        after = f.kind;
      }
    }
    if (after.empty()) {
      for (const HostedLoginRec& r : ev.hosted_logins) {
        if (r.ts > a.last) break;
        if (r.user == user_index && r.result == LoginResult::kSuccess &&
            HostedClientWasGuessing(ev, r.client, r.user, r.ts)) {
          after = "a login from " + ev.ClientText(r.client) + " that was guessing passwords";
          break;
        }
      }
    }
    Severity sev = !after.empty() ? Severity::kCritical
                   : a.forwards   ? Severity::kHigh
                                  : Severity::kMedium;
    Finding f = NewFinding("mailbox_rule", sev, "compromised-account", {user}, a.first, a.last);
    f.user = user;
    if (!a.clients.empty()) f.client_ip = a.clients.front();
    f.counts["changes"] = a.changes;
    f.evidence["operations"] = a.operations;
    if (!a.targets.empty()) f.evidence["forward_to"] = a.targets;
    if (!a.actors.empty()) f.evidence["changed_by"] = a.actors;
    if (!after.empty()) f.evidence["after"] = after;
    AddOrigins(f, a.origins);
    std::string what;
    if (a.forwards) {
      what = "forwards or redirects its mail" +
             (a.targets.empty() ? std::string() : " to " + ShortList(a.targets));
    }
    if (a.deletes || a.hides) {
      what += std::string(what.empty() ? "" : ", and ") +
              (a.deletes ? "deletes messages" : "moves messages out of sight");
    }
    f.explanation = "A rule or setting on the mailbox of " + user + " " + what + " (" +
                    ShortList(a.operations) + "). Attackers who took over a mailbox add such " +
                    "rules to keep reading the mail after the password is changed, or to hide " +
                    "the replies and bounces of the spam they send.";
    if (after == "account_compromise" || after == "login_after_attack") {
      f.explanation += " It was made after a suspicious login for this account (" + after + ").";
    } else if (!after.empty()) {
      f.explanation += " It was made after " + after + ".";
    }
    f.next_steps = {
        "Look at the rule with the owner of " + user +
            "; remove it unless they made it on purpose (Exchange: Get-InboxRule "
            "-Mailbox " +
            user + "; Set-Mailbox -ForwardingSmtpAddress $null)",
        "If nobody made it: treat " + user +
            " as compromised — change the password, end its sessions (mxir reset)",
        "Check what was forwarded or deleted since " + Timestamp::FromMicros(a.first).ToString()};
    SetVerdict(f, a.forwards ? "mail forwarded out of the mailbox" : "mail deleted or hidden");
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
