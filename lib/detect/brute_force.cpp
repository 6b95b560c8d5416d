// brute_force: one account (or a few) from one host, many different passwords — or, without
// fingerprints, many attempts per session, parallel sessions, or a high irregular rate.
// Severity: high outside; critical inside (a machine of ours is attacking: it is infected).
#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

void Emit(DetectContext& ctx, uint32_t client, uint32_t user, const std::vector<uint32_t>& users,
          const std::vector<uint32_t>& failures, int64_t first, int64_t last,
          nlohmann::ordered_json counts, bool has_fp) {
  const Evidence& ev = ctx.ev;
  const bool inside = ctx.Inside(client);
  const std::string host = ev.ClientText(client);
  std::string user_text = ev.UserText(user);
  std::vector<std::string> names = UserNames(ev, users);
  Finding f = NewFinding("brute_force", inside ? Severity::kCritical : Severity::kHigh, "triage",
                         {host, user_text, names.empty() ? "" : "several"}, first, last);
  f.client_ip = host;
  f.user = user_text;
  f.users = names;
  f.counts = std::move(counts);
  AddAttemptOrigins(f, ev, failures);
  std::string target = !user_text.empty() ? user_text
                       : !names.empty()   ? Count(static_cast<int64_t>(names.size()), "account") +
                                              " (" + ShortList(names) + ")"
                                        : "an account the logs do not name";
  std::string how = has_fp ? "with many different passwords"
                           : "in a pattern no saved-password device makes (several tries per "
                             "connection, parallel connections or an irregular high rate)";
  f.explanation = host + " failed to log in as " + target + " " +
                  Count(static_cast<int64_t>(failures.size()), "time") + " between " +
                  f.first_seen.ToString() + " and " + f.last_seen.ToString() + ", " + how +
                  ". That is someone guessing passwords, not a device with an old one.";
  if (inside) {
    f.explanation +=
        " The guesses come from inside your network, so a machine of yours is "
        "probably infected or misused.";
    f.next_steps = {
        "Find the machine at " + host + " (DHCP lease, switch port) and take it off the network.",
        "Scan or reinstall it; check which accounts were used on it.",
        "Watch " + target +
            " for a successful login (mxir detect reports it as "
            "account_compromise) and reset only if one follows."};
    SetVerdict(f, "password guessing from a machine inside");
  } else {
    f.next_steps = {"Block " + host +
                        " at the firewall or with fail2ban (postfix-sasl, dovecot "
                        "jails).",
                    "Watch " + target + " for a successful login; reset only if one follows.",
                    "Consider rate limits on AUTH (smtpd_client_auth_rate_limit)."};
    SetVerdict(f, "password guessing from outside");
  }
  ctx.findings.push_back(std::move(f));
}

}  // namespace

void DetectBruteForce(DetectContext& ctx) {
  for (const ClientSweep& s : ctx.auth.sweeps) {
    if (s.verdict != AuthVerdict::kBruteForce) continue;
    nlohmann::ordered_json counts;
    counts["failures"] = s.failures.size();
    counts["distinct_users"] = s.users.size();
    if (s.has_fingerprints) counts["distinct_secrets"] = s.distinct_secrets;
    counts["attempts_per_user"] = s.attempts_per_user;
    Emit(ctx, s.client, kNone, s.users, s.failures, s.first, s.last, std::move(counts),
         s.has_fingerprints);
  }
  for (const AuthSeries& s : ctx.auth.series) {
    if (s.verdict != AuthVerdict::kBruteForce) continue;
    bool covered = false;
    for (const ClientSweep& w : ctx.auth.sweeps) covered |= w.client == s.client;
    if (covered) continue;  // reported once for the host, with all its accounts
    nlohmann::ordered_json counts;
    counts["failures"] = s.failures.size();
    counts["successes"] = s.successes;
    if (s.has_fingerprints) counts["distinct_secrets"] = s.distinct_secrets;
    counts["attempts_per_session"] = s.attempts_per_session;
    counts["max_parallel_sessions"] = s.max_parallel;
    counts["median_interval_s"] = s.median_interval_s;
    counts["max_failures_in_window"] = s.max_in_window;
    Emit(ctx, s.client, s.user, {}, s.failures, s.first, s.last, std::move(counts),
         s.has_fingerprints);
  }
}

}  // namespace mxir::detect
