// PostfixContainment: stops a compromised account sending through Postfix at once — the step
// before or beside a reset, because a new password does not end SMTP sessions that already
// authenticated. SuspendOutbound adds "ACCOUNT REJECT text" to the check_sasl_access map (an
// atomic rewrite; every other line kept), rebuilds it with postmap, reloads Postfix, checks with
// postmap -q that the lookup now says REJECT, and holds the account's queued mail (postqueue -j:
// by envelope sender, the login itself or login@ a local domain for a bare login, and by the SASL
// login postcat shows in the queue file; postsuper -h). ResumeOutbound
// ("mxir reset release") removes the map line and releases the held mail (postsuper -H);
// PurgeHeld ("mxir reset purge") removes the map line and deletes the held mail (postsuper -d).
// Every Postfix command gets the instance's -c config_dir. Preflight checks, in the order Postfix
// evaluates them, that every listener offering AUTH (main.cf and master.cf's -o overrides)
// consults the map before anything that permits, so a block that Postfix ignores is never
// reported as done.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hooks/command_runner.h"
#include "hooks/provider_hook.h"
#include "hooks/smtp_auth_check.h"

namespace mxir::hooks {

struct PostfixConfig {
  std::string config_dir = "/etc/postfix";
  std::string access_map;         // the map file, e.g. /etc/postfix/sasl_access
  std::string map_type = "hash";  // hash, lmdb, cdb (postmap) or texthash (no postmap)
  std::string command_dir = "/usr/sbin";
  std::string reject_text = "5.7.1 account suspended during incident response";
};

// Tries a submission (SmtpSubmissionProbe; tests give a fake).
using SubmissionProber =
    std::function<Result<SubmissionProbeOutcome>(const SmtpAuthTarget&, const SubmissionProbe&)>;

// Where mxir can reach one smtpd listener with SASL AUTH to try a submission: an inet
// service's address (a wildcard or a bare port -> loopback) and port, and the certificate its
// STARTTLS presents; `why_not` is set when it cannot be reached (a unix or postscreen "pass"
// service, an unknown service name).
struct ProbeEndpoint {
  std::string service;  // "submission/inet"
  std::string host;
  uint16_t port = 0;
  std::string cert_file;  // smtpd_tls_cert_file (or the first smtpd_tls_chain_files entry)
  bool tls = false;       // smtpd_tls_security_level may/encrypt (or the legacy use_tls)
  std::string why_not;
};

class PostfixContainment final : public ProviderHook {
 public:
  PostfixContainment(PostfixConfig config, CommandRunner& runner, SubmissionProber prober = {})
      : config_(std::move(config)), runner_(runner), prober_(std::move(prober)) {
    if (!prober_) prober_ = SmtpSubmissionProbe;
  }
  std::string name() const override { return "postfix"; }
  unsigned capabilities() const override { return kSuspendOutbound | kPurgeHeld; }
  Status Preflight(const std::string& account, std::vector<HookStep>& steps) override;
  Status SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status PurgeHeld(const std::string& account, std::vector<HookStep>& steps) override;
  // For every smtpd listener with SASL AUTH: connect on loopback, act as the login with
  // XCLIENT LOGIN= (no password needed; Postfix allows it only to smtpd_authorized_xclient_hosts)
  // and try MAIL FROM + RCPT TO (never DATA). Verified only when every such listener refuses with
  // the block's reply text; failed when one accepts; else unverified, with the swaks command
  // that checks it by hand.
  ContainmentCheck VerifyContained(const std::string& account,
                                   std::vector<HookStep>& steps) override;
  // Dry run: connects to each AUTH listener and says whether XCLIENT LOGIN is offered to mxir
  // (EHLO, then QUIT: no MAIL, nothing changed).
  void PlanVerifyContained(const std::string& account, std::vector<HookStep>& steps) override;

 private:
  Status Postfix(const std::string& tool, std::vector<std::string> args, const std::string& step,
                 std::vector<HookStep>& steps, const std::string& stdin_data = "",
                 std::string* output = nullptr);
  Status SetBlocked(const std::string& account, bool blocked, std::vector<HookStep>& steps);
  // Queue ids of the account's messages in the given queues (by envelope sender).
  Result<std::vector<std::string>> QueueIds(const std::string& account,
                                            const std::vector<std::string>& queues,
                                            std::vector<HookStep>& steps);
  Status ActOnQueue(const std::string& account, const std::vector<std::string>& queues,
                    const std::string& flag, const std::string& step, std::vector<HookStep>& steps);
  static constexpr size_t kMaxPostcat = 5000;
  PostfixConfig config_;
  CommandRunner& runner_;
  SubmissionProber prober_;
  std::vector<ProbeEndpoint> endpoints_;  // from Preflight
  bool checked_ = false;  // Preflight passed: every AUTH listener consults the map first
  std::vector<std::string> local_domains_;  // mydestination and the virtual domains
};

// `postconf name ...` / `postconf -P` output ("name = value" lines) as a map.
std::map<std::string, std::string> ParsePostconf(std::string_view text);
// The tokens of a restriction list ("a, b c" -> a, b, c).
std::vector<std::string> RestrictionTokens(std::string_view value);

// An smtpd listener of master.cf ("submission/inet") and its -o overrides.
struct SmtpdService {
  std::string name;
  std::map<std::string, std::string> overrides;
  // The parameter as this service sees it: its own -o override, else main.cf's, else "".
  std::string Setting(const std::map<std::string, std::string>& main_cf,
                      const std::string& name) const;
};
// The smtpd services of `postconf -M` with their overrides from `postconf -P -x`.
std::vector<SmtpdService> ParseSmtpdServices(std::string_view postconf_m,
                                             std::string_view postconf_p);
// Whether Postfix, as it evaluates restrictions (each list left to right, the first OK or
// permit_* ends that list), consults check_sasl_access `ref` before anything that permits, on
// every listener with SASL AUTH enabled. A description of what was checked, or an error saying
// which listener would still accept a blocked login and what to change. With no services (an
// unknown master.cf), main.cf's lists must do it.
Result<std::string> CheckSaslAccessOrder(const std::map<std::string, std::string>& main_cf,
                                         std::vector<SmtpdService> services,
                                         const std::string& ref);
// The AUTH listeners of `services` (main.cf alone when empty) as mxir can reach them.
std::vector<ProbeEndpoint> ProbeEndpoints(const std::map<std::string, std::string>& main_cf,
                                          const std::vector<SmtpdService>& services);
// The sender and recipient a probe uses for a login: the login itself when it is an address,
// else login@ the first local domain (or <> without one); the recipient is the sender itself
// (postmaster without one).
std::pair<std::string, std::string> ProbeAddresses(const std::string& login,
                                                   const std::vector<std::string>& local_domains);

// Whether a queued message's envelope sender is the account's: the same address, or for a bare
// login ("info") info@ one of the server's own domains.
bool QueuedFromAccount(std::string_view sender, std::string_view account,
                       const std::vector<std::string>& local_domains);

// The map text with the account's line added (blocked) or removed; `changed` tells whether it
// differs. Keys are compared case-insensitively, as Postfix's lookup does.
std::string EditAccessMap(const std::string& text, const std::string& account, bool blocked,
                          const std::string& reject_text, bool* changed);

}  // namespace mxir::hooks
