// What a hosted-mail provider's own result code says about a login (reference:
// ../shared/reference/cloud-logs.md §1.3, §4.1, §5). Shared by the parsers (to set an event's
// `outcome`) and the detectors (to tell "the password was wrong" from "the password was right but
// MFA or conditional access stopped the login").
//
// Families: Entra ID / Microsoft 365 (numeric AADSTS codes, also the Unified Audit Log's
// `ErrorNumber`), Google Workspace (`login_failure_type` values and login event names), Exchange
// Server (`LogonDenied`, HTTP 401/403 of HttpProxy logs).
#pragma once

#include <string_view>

namespace mxir {

enum class LoginResult {
  kNone,              // no code known
  kSuccess,           // the login completed
  kBadPassword,       // wrong password (or unknown user, tenants differ): a guess that failed
  kUnknownUser,       // the account does not exist
  kLocked,            // locked out (Entra Smart Lockout 50053): follows repeated failures
  kPasswordAccepted,  // the password was right; MFA or conditional access stopped the login
  kDisabled,          // account disabled or password expired (the old password was right)
  kInterrupted,       // an interrupt or token refresh, not a failure (Entra 50140, 70043, ...)
  kOtherFailure,      // any other failure
};

// `source` is the event's source ("entra-signin", "m365-audit", "google-login",
// "exchange-smtp", ...); `code` the event's error_code.
LoginResult ClassifyLoginCode(std::string_view source, std::string_view code);

// The event outcome for a result: success, failure, or unknown (interrupts, no code).
const char* LoginOutcome(LoginResult r);

// Short words for explanations: "wrong password", "password accepted, blocked by MFA or
// conditional access", ...
const char* LoginResultText(LoginResult r);

// True when a failure with this result shows the password was right.
inline bool PasswordWasRight(LoginResult r) {
  return r == LoginResult::kSuccess || r == LoginResult::kPasswordAccepted ||
         r == LoginResult::kDisabled;
}

// True for client applications that log in with a password over a legacy protocol (basic
// authentication): Entra clientAppUsed "Authenticated SMTP", "IMAP4", "POP3", "Exchange
// ActiveSync", "Other clients", ..., and the user agents of basic auth converted to ROPC
// (BAV2ROPC, AConsumerV2ROPC, CBAInPROD).
bool IsLegacyAuthClient(std::string_view client_app, std::string_view user_agent);

}  // namespace mxir
