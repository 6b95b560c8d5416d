// ProviderHook: one mail backend's way to contain a compromised account — set a new password
// (forcing a change at next login where the backend has that flag), end its sessions, suspend and
// resume its outbound mail, verify the change took effect, and list what an attacker may have
// left behind (forwarding and inbox rules, Sieve redirects, app passwords).
//
// One implementation per provider, each in its own file (ldap_hook, dovecot_hook, m365_hook,
// google_hook, cpanel_hook, exec_hook, webhook_hook, postfix_containment), made from the hooks
// file by MakeProviderHook (hook_factory.h). Rules every implementation keeps:
//  - the new password goes only to the backend (request body, stdin, a file of hashes), never
//    to argv, a log, an error message or a HookStep;
//  - each thing done is appended to `steps` with a safe detail (HTTP status, exit status, scrubbed
//    output), whether it worked or not, so the audit trail shows partial progress;
//  - a failure returns an Error saying what failed and what to check; nothing half-written.
// Operations a provider does not support are not called: see capabilities().
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace mxir::hooks {

// What one hook did, for the terminal and the audit trail. Never holds a secret.
struct HookStep {
  std::string step;  // "set_password", "force_change", "revoke_sessions", "flush_auth_cache", ...
  bool ok = true;
  std::string detail;
};

// Something an attacker may have left behind, for a person to review.
struct Leftover {
  std::string kind;         // "forwarding", "inbox_rule", "sieve_redirect", "app_password"
  std::string description;  // what and where, e.g. "rule 'x' redirects to evil@example.net"
};

enum Capability : unsigned {
  kSetPassword = 1u << 0,
  kForceChange = 1u << 1,  // a "must change at next login" flag exists
  kRevokeSessions = 1u << 2,
  kSuspendOutbound = 1u << 3,  // and ResumeOutbound
  kVerify = 1u << 4,
  kLeftovers = 1u << 5,
  kPurgeHeld = 1u << 6,  // delete mail held by SuspendOutbound
};

// Whether a suspension of outbound mail was shown to work by trying it (see VerifyContained).
struct ContainmentCheck {
  enum class State {
    kNotAvailable,  // the provider has no way to try (cpanel, exec, webhook)
    kVerified,      // a real submission as the account was refused with the block's reply
    kUnverified,    // it could not be tried here; `evidence` says why and how to check by hand
    kFailed,        // a submission as the account was accepted: the block does not work
  };
  State state = State::kNotAvailable;
  std::string evidence;  // what was tried and answered (the audit trail, "verify:")
  std::string summary;   // one sentence for the outcome's error column (kUnverified, kFailed)
};

class ProviderHook {
 public:
  virtual ~ProviderHook() = default;
  virtual std::string name() const = 0;
  virtual unsigned capabilities() const = 0;
  bool Can(Capability c) const { return (capabilities() & c) != 0; }

  // Checks without changing anything that the account exists and the hook can act on it
  // (used by --dry-run and before a reset). Default: nothing to check.
  virtual Status Preflight(const std::string& account, std::vector<HookStep>& steps);
  virtual Status ResetPassword(const std::string& account, const std::string& new_password,
                               bool force_change, std::vector<HookStep>& steps);
  virtual Status RevokeSessions(const std::string& account, std::vector<HookStep>& steps);
  virtual Status SuspendOutbound(const std::string& account, std::vector<HookStep>& steps);
  virtual Status ResumeOutbound(const std::string& account, std::vector<HookStep>& steps);
  virtual Status PurgeHeld(const std::string& account, std::vector<HookStep>& steps);
  // After SuspendOutbound: try a submission as the account and report whether it was refused.
  // Default: kNotAvailable.
  virtual ContainmentCheck VerifyContained(const std::string& account,
                                           std::vector<HookStep>& steps);
  // For a dry run: whether VerifyContained will be able to try (a step per place, changing
  // nothing, sending no MAIL). Default: nothing to say.
  virtual void PlanVerifyContained(const std::string& account, std::vector<HookStep>& steps);
  // Evidence that the reset took effect, as a sentence; an error when it did not.
  virtual Result<std::string> Verify(const std::string& account, const std::string& new_password);
  virtual Result<std::vector<Leftover>> ListLeftovers(const std::string& account);

 protected:
  Error Unsupported(const std::string& what) const;
};

}  // namespace mxir::hooks
