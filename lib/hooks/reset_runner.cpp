#include "hooks/reset_runner.h"

#include <exception>
#include <set>

#include "casedb/action_log.h"
#include "casedb/finding_store.h"

namespace mxir::hooks {
namespace {

void NoteError(AccountOutcome& o, const Error& e) {
  if (o.error.empty()) {
    o.error = e.message;
    o.exit_status = e.ExitStatus();
  }
}

}  // namespace

AccountOutcome ResetAccount(ProviderHook& hook, const std::string& account,
                            const std::string& new_password, const ResetOptions& options) {
  AccountOutcome o;
  o.account = account;
  o.provider = hook.name();
  o.action = "reset_password";
  if (!hook.Can(kSetPassword)) {
    o.outcome = "failed";
    NoteError(o,
              MakeError(ErrorCode::kUsage, "provider '" + hook.name() +
                                               "' does not set passwords (use 'mxir reset contain' "
                                               "for containment, or another provider)"));
    return o;
  }
  Status pre = hook.Preflight(account, o.steps);
  if (!pre.ok()) {
    o.outcome = "failed";
    NoteError(o, pre.error());
    return o;
  }
  if (options.dry_run) {
    o.outcome = "dry_run";
    std::string plan = "would set a new password";
    if (options.force_change && hook.Can(kForceChange)) plan += ", force a change at next login";
    if (options.revoke_sessions && hook.Can(kRevokeSessions)) plan += ", end sessions";
    if (options.verify && hook.Can(kVerify)) plan += ", verify";
    plan += " via " + hook.name();
    // Say what will not happen, rather than let the plan promise it.
    if (options.revoke_sessions && !hook.Can(kRevokeSessions)) {
      plan += "; will NOT end open sessions (the hooks file gives " + hook.name() +
              " no way to: see docs/mxir-reset.md)";
    }
    o.steps.push_back({"plan", true, plan});
    return o;
  }
  Status set = Status::Ok();
  try {
    set = hook.ResetPassword(account, new_password, options.force_change, o.steps);
  } catch (const std::exception& e) {
    set = MakeError(ErrorCode::kInternal, std::string("the provider step failed unexpectedly (") +
                                              e.what() +
                                              "); check by hand whether the password was changed");
  }
  if (!set.ok()) {
    o.outcome = "failed";
    NoteError(o, set.error());
    return o;
  }
  o.outcome = "done";
  if (options.on_password_set) {
    Status written = MakeError(ErrorCode::kInternal, "writing the new password down failed");
    try {
      written = options.on_password_set(o);
    } catch (const std::exception& e) {
      written = MakeError(ErrorCode::kInternal, e.what());
    }
    if (!written.ok()) {
      o.outcome = "partial";
      NoteError(o, written.error().WithContext("password changed, but"));
      return o;
    }
  }
  // Each later step runs guarded: whatever it throws (a provider's malformed reply, memory) is
  // a failed step of an account whose password is already set and written down.
  auto guarded = [&](const char* step, auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      o.outcome = "partial";
      o.steps.push_back({step, false, std::string("failed: ") + e.what()});
      NoteError(o, MakeError(ErrorCode::kInternal, std::string("password changed, but ") + step +
                                                       " failed: " + e.what()));
    }
  };
  if (options.revoke_sessions && hook.Can(kRevokeSessions)) {
    guarded("revoke_sessions", [&] {
      Status s = hook.RevokeSessions(account, o.steps);
      if (!s.ok()) {
        o.outcome = "partial";
        NoteError(o, s.error().WithContext("password changed, but ending sessions failed"));
      }
    });
  }
  if (options.verify && hook.Can(kVerify)) {
    guarded("verify", [&] {
      auto v = hook.Verify(account, new_password);
      o.verified = v.ok();
      o.verification = v.ok() ? v.value() : "not verified: " + v.error().message;
      if (!v.ok()) {
        o.outcome = "partial";
        NoteError(o, v.error().WithContext("password changed, but verification failed"));
      }
    });
  }
  if (options.list_leftovers && hook.Can(kLeftovers)) {
    guarded("list_leftovers", [&] {
      auto l = hook.ListLeftovers(account);
      if (l.ok()) {
        o.leftovers = std::move(l).value();
      } else {
        o.steps.push_back({"list_leftovers", false, l.error().message});
      }
    });
  }
  return o;
}

AccountOutcome ContainAccount(ProviderHook& hook, const std::string& account,
                              ContainmentAction action, bool dry_run) {
  AccountOutcome o;
  o.account = account;
  o.provider = hook.name();
  o.action = action == ContainmentAction::kSuspend   ? "suspend_outbound"
             : action == ContainmentAction::kRelease ? "release"
                                                     : "purge";
  bool can =
      action == ContainmentAction::kPurge ? hook.Can(kPurgeHeld) : hook.Can(kSuspendOutbound);
  if (!can) {
    o.outcome = "failed";
    NoteError(o, MakeError(ErrorCode::kUsage,
                           "provider '" + hook.name() + "' cannot " +
                               (action == ContainmentAction::kPurge
                                    ? "hold or delete queued mail (use postfix)"
                                    : "suspend outbound mail (use postfix or cpanel)")));
    return o;
  }
  Status pre = hook.Preflight(account, o.steps);
  if (!pre.ok() || dry_run) {
    o.outcome = pre.ok() ? "dry_run" : "failed";
    if (!pre.ok()) NoteError(o, pre.error());
    if (pre.ok()) {
      o.steps.push_back({"plan", true, "would " + o.action + " via " + hook.name()});
      if (action == ContainmentAction::kSuspend) hook.PlanVerifyContained(account, o.steps);
    }
    return o;
  }
  Status s = action == ContainmentAction::kSuspend   ? hook.SuspendOutbound(account, o.steps)
             : action == ContainmentAction::kRelease ? hook.ResumeOutbound(account, o.steps)
                                                     : hook.PurgeHeld(account, o.steps);
  o.outcome = s.ok() ? "done" : "failed";
  if (!s.ok()) {
    NoteError(o, s.error());
    return o;
  }
  if (action != ContainmentAction::kSuspend) return o;
  // A suspension is "done" only when a real submission as the account was refused; a provider
  // that cannot try one keeps "done" with verified "-" (nothing claimed).
  ContainmentCheck check = hook.VerifyContained(account, o.steps);
  switch (check.state) {
    case ContainmentCheck::State::kNotAvailable:
      break;
    case ContainmentCheck::State::kVerified:
      o.verified = true;
      o.verification = check.evidence;
      break;
    case ContainmentCheck::State::kUnverified:
      o.outcome = "unverified";
      o.verification = check.evidence;
      o.error = check.summary;
      o.exit_status = 1;
      break;
    case ContainmentCheck::State::kFailed:
      o.outcome = "failed";
      o.verification = check.evidence;
      NoteError(o, MakeError(ErrorCode::kUnavailable, check.summary));
      break;
  }
  return o;
}

nlohmann::ordered_json OutcomeDetails(const AccountOutcome& o) {
  nlohmann::ordered_json d;
  d["provider"] = o.provider;
  d["steps"] = nlohmann::ordered_json::array();
  for (const auto& s : o.steps) {
    d["steps"].push_back({{"step", s.step}, {"ok", s.ok}, {"detail", s.detail}});
  }
  if (!o.verification.empty()) {
    d["verified"] = o.verified;
    d["verification"] = o.verification;
  }
  if (!o.leftovers.empty()) {
    d["leftovers"] = nlohmann::ordered_json::array();
    for (const auto& l : o.leftovers)
      d["leftovers"].push_back({{"kind", l.kind}, {"description", l.description}});
  }
  if (!o.error.empty()) d["error"] = o.error;
  return d;
}

Status RecordOutcome(casedb::CaseDb& c, const AccountOutcome& o) {
  casedb::ActionLog log(c);
  return log.Record("reset", o.account, o.action, o.outcome, OutcomeDetails(o));
}

std::string SkipReason(const std::string& kind) {
  if (kind == "login_after_attack") {
    return "a login from a new client after an attack, with no other sign of a takeover: "
           "confirm with the user that it was them; reset by hand if it was not";
  }
  if (kind == "bulk_outbound") {
    return "the account sent bulk mail, but no finding shows its password was guessed or "
           "used by an attacker: check the mail (a newsletter?) and reset by hand if it is spam";
  }
  if (kind == "brute_force" || kind == "password_spraying" || kind == "credential_stuffing") {
    return "the account was a target of password guessing (" + kind +
           "), with no sign it was taken: a reset would only lock out its owner";
  }
  return "a " + kind + " finding is no evidence that the password is known to someone else";
}

Result<FindingAccounts> AccountsFromFindings(casedb::CaseDb& c) {
  casedb::FindingStore store(c);
  MXIR_ASSIGN_OR_RETURN(std::vector<casedb::StoredFinding> findings, store.ListStored());
  FindingAccounts out;
  std::set<std::string> seen, stale_seen;
  auto names = [](const Finding& f) {
    std::vector<std::string> users = f.users;
    if (!f.user.empty()) users.insert(users.begin(), f.user);
    return users;
  };
  // Findings that are not active (resolved by a later detect run, dismissed by a person) are
  // never acted on: said with their status and why.
  std::vector<Finding> active;
  for (const casedb::StoredFinding& s : findings) {
    if (s.status == casedb::kFindingActive) {
      active.push_back(s.finding);
      continue;
    }
    if (s.finding.kind != "account_compromise") continue;
    for (const auto& u : names(s.finding)) {
      if (u.empty()) continue;
      out.skipped.push_back({{u, s.finding.kind, s.finding.id, s.status, s.status_why},
                             "the finding is " + s.status +
                                 (s.status_why.empty() ? std::string() : ": " + s.status_why)});
    }
  }
  // First the accounts to reset, so a skip never names an account that is reset anyway.
  for (const Finding& f : active) {
    if (f.kind != "account_compromise") continue;
    for (const auto& u : names(f)) {
      if (!u.empty() && seen.insert(u).second) out.to_reset.push_back({u, f.kind, f.id, {}, {}});
    }
  }
  std::set<std::string> skipped;
  for (const Finding& f : active) {
    if (f.kind == "account_compromise") continue;
    for (const auto& u : names(f)) {
      if (u.empty() || seen.count(u)) continue;
      if (f.kind == "stale_credentials") {
        if (stale_seen.insert(u).second) out.devices.push_back({u, f.kind, f.id, {}, {}});
      } else if (skipped.insert(u + '\n' + f.kind).second) {
        out.skipped.push_back({{u, f.kind, f.id, {}, {}}, SkipReason(f.kind)});
      }
    }
  }
  return out;
}

}  // namespace mxir::hooks
