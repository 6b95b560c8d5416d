// The reset procedure around a ProviderHook, the same for every provider and every tool that
// resets (mxir reset, playbooks): preflight, set the password (forcing a change where the backend
// can), end sessions, verify, list leftovers — each step's outcome kept; then one audit record in
// the case (who, when, account, provider, outcome, steps, verification) that never holds the
// password. Containment (suspend, release, purge) goes the same way. Also: which accounts of a
// case's findings need a reset.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct AccountOutcome {
  std::string account;
  std::string provider;
  std::string action;  // "reset_password", "suspend_outbound", "release", "purge"
  std::string
      outcome;  // "done", "partial" (main step done, a later one failed), "failed", "dry_run",
                // "unverified" (a containment applied that could not be shown to work)
  std::vector<HookStep> steps;
  std::string verification;  // evidence, or why verification failed; empty when not run
  bool verified = false;
  std::vector<Leftover> leftovers;
  std::string error;  // the first error, for the terminal
  int exit_status = 0;
};

struct ResetOptions {
  bool dry_run = false;
  bool force_change = true;
  bool revoke_sessions = true;
  bool verify = true;
  bool list_leftovers = true;
  // Called once, right after the provider confirmed the new password, before any later step
  // (ending sessions, verifying, listing leftovers) can fail, hang or throw: the caller writes
  // the password down and records the change there. An error it returns is kept in the outcome
  // (the password WAS set) and the later steps are skipped.
  std::function<Status(const AccountOutcome&)> on_password_set;
};

// Resets one account. `new_password` is used only for the hook's calls; it is never copied into
// the outcome.
AccountOutcome ResetAccount(ProviderHook& hook, const std::string& account,
                            const std::string& new_password, const ResetOptions& options);

enum class ContainmentAction { kSuspend, kRelease, kPurge };
AccountOutcome ContainAccount(ProviderHook& hook, const std::string& account,
                              ContainmentAction action, bool dry_run);

// The audit-trail details of an outcome (no secret can be in it: steps are secret-free by the
// ProviderHook contract).
nlohmann::ordered_json OutcomeDetails(const AccountOutcome& outcome);
Status RecordOutcome(casedb::CaseDb& c, const AccountOutcome& outcome);

struct FindingAccounts {
  struct Entry {
    std::string account;
    std::string finding_kind;
    std::string finding_id;
    std::string status;  // for `skipped`: resolved or dismissed
    std::string why;     // for `skipped`: the reason stored with the status
  };
  struct Skipped {
    Entry entry;
    std::string reason;  // why this account is not reset (plain words, for the operator)
  };
  std::vector<Entry> to_reset;  // account_compromise only, each account once
  std::vector<Entry> devices;   // stale_credentials: the fix is the device, not a reset
  // Every other finding that names an account (bulk_outbound, login_after_attack, brute_force,
  // password_spraying, ...): listed with the reason it is not reset. An account that is also in
  // to_reset is not listed here. Findings that are not active (resolved by a later detect run,
  // or dismissed by a person) are never acted on and are listed here with that reason.
  std::vector<Skipped> skipped;
};
// Only account_compromise findings reset an account: the other kinds name accounts that were
// attacked, or that sent bulk mail, without evidence the password is in someone else's hands.
// SkipReason() gives the operator-facing reason for a kind that is not reset.
std::string SkipReason(const std::string& kind);
Result<FindingAccounts> AccountsFromFindings(casedb::CaseDb& c);

}  // namespace mxir::hooks
