// account_compromise from hosted-mail logins whose password was accepted but that multi-factor
// authentication or conditional access stopped (Entra 50074/50076/50079/53003/..., Google
// login_failure_invalid_second_factor): when the client was guessing passwords before, the
// attacker now has the password even though no login completed — it must be changed. A person
// who passes MFA right after (a success for the account from the same client within 30 minutes)
// is the user, not an attacker.
#include <map>

#include "detect/detect_context.h"

namespace mxir::detect {

namespace {
constexpr int64_t kPassedMfaWithinUs = 30 * kMicrosPerMinute;

bool HasCompromiseFinding(const std::vector<Finding>& findings, const std::string& user) {
  for (const Finding& f : findings) {
    if (f.kind == "account_compromise" && f.user == user) return true;
  }
  return false;
}
}  // namespace

void DetectPasswordAcceptedAfterGuessing(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  struct Hit {
    int64_t first = 0, last = 0;
    std::vector<uint32_t> clients;
    std::vector<std::string> origins;
    int accepted = 0;
  };
  std::map<uint32_t, Hit> by_user;
  const auto& logins = ev.hosted_logins;
  for (size_t i = 0; i < logins.size(); ++i) {
    const HostedLoginRec& r = logins[i];
    if (r.result != LoginResult::kPasswordAccepted || r.user == kNone || r.client == kNone) {
      continue;
    }
    bool passed = false;
    for (size_t j = i + 1; j < logins.size() && logins[j].ts <= r.ts + kPassedMfaWithinUs; ++j) {
      if (logins[j].user == r.user && logins[j].client == r.client &&
          logins[j].result == LoginResult::kSuccess) {
        passed = true;
        break;
      }
    }
    if (passed || !HostedClientWasGuessing(ev, r.client, r.user, r.ts)) continue;
    Hit& h = by_user[r.user];
    if (h.accepted++ == 0) h.first = r.ts;
    h.last = r.ts;
    bool seen = false;
    for (uint32_t c : h.clients) seen = seen || c == r.client;
    if (!seen) h.clients.push_back(r.client);
    if (h.origins.size() < 5) h.origins.push_back(ev.OriginText(r.origin));
  }
  for (const auto& [user_index, h] : by_user) {
    std::string user = ev.UserText(user_index);
    if (HasCompromiseFinding(ctx.findings, user)) continue;
    std::vector<std::string> clients;
    for (uint32_t c : h.clients) clients.push_back(ev.ClientText(c));
    Finding f = NewFinding("account_compromise", Severity::kHigh, "compromised-account", {user},
                           h.first, h.last);
    f.user = user;
    f.client_ip = clients.front();
    f.counts["password_accepted_blocked"] = h.accepted;
    f.counts["clients"] = static_cast<int64_t>(clients.size());
    f.evidence["clients"] = clients;
    AddOrigins(f, h.origins);
    f.explanation =
        "The password of " + user + " was accepted from " + ShortList(clients) +
        ", which had been guessing passwords just before; only multi-factor authentication or "
        "a conditional-access policy stopped the login, and nobody completed it afterwards. "
        "Whoever sits at that address knows the password now, even though no login completed: "
        "the next login without that protection (an old protocol, another app) will succeed.";
    f.next_steps = {"Change the password of " + user +
                        " now and end its sessions "
                        "(mxir reset " +
                        user + " ...)",
                    "Check that multi-factor authentication covers every way " + user +
                        " can log in (block basic authentication: SMTP AUTH, IMAP, POP)",
                    "Ask " + user +
                        " whether the password was used anywhere else, and change it "
                        "there too",
                    "Block " + ShortList(clients) + " if nobody in the company uses it"};
    SetVerdict(f, "password known to an attacker (MFA stopped the login)");
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
