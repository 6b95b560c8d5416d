// stale_credentials: one host, one account, the same wrong password again and again at a steady
// pace — a device with an old saved password. Not an attacker; but a provider or fail2ban will
// throttle or block the whole address it uses, which inside the network is everyone's.
// Severity: medium inside (the shared office address is at risk), low outside.
#include <map>

#include "detect/detect_context.h"

namespace mxir::detect {

void DetectStaleCredentials(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  for (const AuthSeries& s : ctx.auth.series) {
    if (s.verdict != AuthVerdict::kStale) continue;
    if (ctx.auth.IsAttacker(s.client)) continue;  // its failures belong to an attack
    const bool inside = ctx.Inside(s.client);
    const std::string host = ev.ClientText(s.client);
    const std::string user = ev.UserText(s.user);
    const std::string account = user.empty() ? "an account the logs do not name" : user;
    Finding f = NewFinding("stale_credentials", inside ? Severity::kMedium : Severity::kLow,
                           "stale-credentials", {host, user}, s.first, s.last);
    f.client_ip = host;
    f.user = user;
    const int64_t n = static_cast<int64_t>(s.failures.size());
    f.counts["failures"] = n;
    f.counts["successes"] = s.successes;
    if (s.has_fingerprints) f.counts["distinct_secrets"] = s.distinct_secrets;
    f.counts["attempts_per_session"] = s.attempts_per_session;
    f.counts["median_interval_s"] = s.median_interval_s;
    f.counts["cadence_cv"] = s.cadence_cv;
    f.counts["max_parallel_sessions"] = s.max_parallel;
    AddAttemptOrigins(f, ev, s.failures);
    // The name the device gives itself in EHLO (from a capture; "DESKTOP-4N7QK2P") finds it
    // behind a shared address faster than any lease table.
    std::map<std::string, int64_t> names;
    // Only the sessions that carried this account's failed logins: behind a NAT, other devices
    // share the address.
    for (uint32_t i : s.failures) {
      const uint32_t session = ev.attempts[i].session;
      if (session == kNone || session >= ev.session_recs.size()) continue;
      const SessionRec& r = ev.session_recs[session];
      if (r.helo == kNone) continue;
      std::string name(ev.texts.Get(r.helo));
      if (name.empty() || name[0] == '[') continue;  // an address literal names nothing new
      ++names[name];
    }
    std::string device_names;
    if (!names.empty()) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& [name, count] : names) {
        list.push_back(name);
        device_names += (device_names.empty() ? "" : ", ") + name;
      }
      f.evidence["device_names"] = list;
    }
    const std::string device =
        device_names.empty()
            ? "The device at " + host
            : "The device at " + host + " (it calls itself " + device_names + " in EHLO)";
    std::string how = s.has_fingerprints
                          ? "always with the same wrong password"
                          : "one attempt per connection, one connection at a time, at a regular "
                            "interval (the password itself was not visible)";
    f.explanation = device + " tried to log in as " + account + " " + Count(n, "time") +
                    " between " + f.first_seen.ToString() + " and " + f.last_seen.ToString() +
                    ", about every " + Seconds(s.median_interval_s) + ", " + how +
                    ". This is what a phone, laptop or mail app does after the account's "
                    "password was changed and the device still has the old one saved: it is not "
                    "an attacker. It matters because servers and providers count these failures "
                    "and throttle or block the address they come from";
    f.explanation += inside ? " — here that is an address inside your network (probably your "
                              "shared office or NAT address), so everyone behind it can be cut "
                              "off."
                            : ", and the account may be locked for its owner.";
    if (inside) {
      f.next_steps = {
          device_names.empty()
              ? "Find the device behind " + host + " that uses " + account +
                    " (look for the mail app on each phone, laptop and printer; the DHCP lease "
                    "or NAT table maps the address to a machine)."
              : "Find the device named " + device_names +
                    " (its EHLO name; usually the "
                    "computer name of a Windows PC or the host name of a printer or server) "
                    "behind " +
                    host + " that uses " + account +
                    "; the DHCP lease or NAT table maps the address to a machine.",
          "Update the saved password on that device, or remove the account from it.",
          "Do not reset the account's password: the owner's other devices work, and a reset "
          "creates more stale devices.",
          "If the provider already throttles " + host +
              ", run the throttled playbook once the failures stop."};
      SetVerdict(f, "stale saved password on a device inside (not an attack)");
    } else {
      f.next_steps = {
          "Ask the owner of " + account +
              " which of their devices (home PC, phone) still has an "
              "old password saved, and update it.",
          (device_names.empty() ? std::string()
                                : "The device calls itself " + device_names + " (EHLO name). ") +
              "Do not reset the password and do not treat " + host + " as an attacker.",
          "If failures continue, block only " + host +
              " for this account until the device "
              "is fixed."};
      SetVerdict(f, "stale saved password on a remote device (not an attack)");
    }
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
