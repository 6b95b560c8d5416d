#include "core/provider_codes.h"

#include <charconv>
#include <cstdint>

namespace mxir {

namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

LoginResult ClassifyEntra(std::string_view code) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), n);
  if (ec != std::errc() || p != code.data() + code.size()) return LoginResult::kOtherFailure;
  switch (n) {
    case 0:
      return LoginResult::kSuccess;
    case 50126:  // invalid username or password
    case 50056:  // invalid or null password
    case 50196:  // loop detected (repeated bad attempts)
    case 50089:  // flow token expired
      return n == 50126 || n == 50056 ? LoginResult::kBadPassword : LoginResult::kOtherFailure;
    case 50034:  // user not found
    case 50020:
      return LoginResult::kUnknownUser;
    case 50053:  // Smart Lockout / malicious IP
      return LoginResult::kLocked;
    case 50074:   // strong authentication required
    case 50076:   // MFA required
    case 50079:   // MFA registration required
    case 50072:   // MFA enrolment required
    case 500121:  // MFA failed or denied
    case 53003:   // blocked by conditional access
    case 53000:   // CA: device not compliant
    case 53001:   // CA: device not domain joined
    case 53002:
    case 53004:
    case 50158:  // external security challenge
    case 50129:  // device not workplace joined
    case 50105:  // not assigned to the application (password checked first)
    case 50133:  // session invalid after password change
    case 50005:  // unsupported platform (CA)
    case 50173:  // fresh auth token needed
    case 50155:  // device authentication failed
      return LoginResult::kPasswordAccepted;
    case 50055:  // expired password (the old one was correct)
    case 50057:  // account disabled
      return LoginResult::kDisabled;
    case 50140:  // "Keep me signed in" interrupt
    case 50125:  // password reset / registration interrupt
    case 50097:  // device authentication required
    case 50144:  // password expired (AD) interrupt
    case 70043:  // token expired (refresh)
    case 70044:
    case 81010:  // seamless SSO
    case 81012:
    case 16000:  // account selection
    case 16001:
    case 16003:
      return LoginResult::kInterrupted;
    default:
      return LoginResult::kOtherFailure;
  }
}

LoginResult ClassifyGoogle(std::string_view code) {
  if (code == "login_success") return LoginResult::kSuccess;
  if (code == "login_failure_invalid_password") return LoginResult::kBadPassword;
  if (code == "login_failure_invalid_second_factor" ||
      code == "login_failure_missing_second_factor") {
    return LoginResult::kPasswordAccepted;
  }
  if (code == "login_failure_account_disabled") return LoginResult::kDisabled;
  if (code == "login_failure_access_code_disallowed" || code == "suspicious_login" ||
      StartsWith(code, "suspicious_") || StartsWith(code, "account_disabled")) {
    return LoginResult::kOtherFailure;
  }
  return LoginResult::kOtherFailure;
}

LoginResult ClassifyExchange(std::string_view code) {
  if (code == "0" || EqualsNoCase(code, "success") || code == "200" || code == "302") {
    return LoginResult::kSuccess;
  }
  if (code == "403") return LoginResult::kPasswordAccepted;  // authenticated, then refused
  if (EqualsNoCase(code, "LogonDenied") || EqualsNoCase(code, "LogonFailed") || code == "401" ||
      EqualsNoCase(code, "1326") || EqualsNoCase(code, "52e")) {
    return LoginResult::kBadPassword;
  }
  if (EqualsNoCase(code, "1909") || EqualsNoCase(code, "775")) return LoginResult::kLocked;
  if (EqualsNoCase(code, "532") || EqualsNoCase(code, "533")) return LoginResult::kDisabled;
  return LoginResult::kOtherFailure;
}

}  // namespace

LoginResult ClassifyLoginCode(std::string_view source, std::string_view code) {
  if (code.empty()) return LoginResult::kNone;
  if (StartsWith(source, "google")) return ClassifyGoogle(code);
  if (StartsWith(source, "exchange")) return ClassifyExchange(code);
  return ClassifyEntra(code);
}

const char* LoginOutcome(LoginResult r) {
  switch (r) {
    case LoginResult::kSuccess:
      return "success";
    case LoginResult::kNone:
    case LoginResult::kInterrupted:
      return "unknown";
    default:
      return "failure";
  }
}

const char* LoginResultText(LoginResult r) {
  switch (r) {
    case LoginResult::kNone:
      return "no result code";
    case LoginResult::kSuccess:
      return "login completed";
    case LoginResult::kBadPassword:
      return "wrong password";
    case LoginResult::kUnknownUser:
      return "unknown account";
    case LoginResult::kLocked:
      return "account locked out after failures";
    case LoginResult::kPasswordAccepted:
      return "password accepted, login stopped by MFA or conditional access";
    case LoginResult::kDisabled:
      return "password accepted, account disabled or password expired";
    case LoginResult::kInterrupted:
      return "interrupted (not a failure)";
    case LoginResult::kOtherFailure:
      return "failed";
  }
  return "failed";
}

bool IsLegacyAuthClient(std::string_view app, std::string_view ua) {
  static constexpr std::string_view kApps[] = {"Authenticated SMTP",
                                               "IMAP4",
                                               "POP3",
                                               "Exchange ActiveSync",
                                               "Other clients",
                                               "Exchange Web Services",
                                               "AutoDiscover",
                                               "MAPI Over HTTP",
                                               "Offline Address Book",
                                               "Outlook Anywhere (RPC over HTTP)",
                                               "Exchange Online PowerShell",
                                               "Reporting Web Services",
                                               "SMTP",
                                               "IMAP",
                                               "POP"};
  for (auto a : kApps) {
    if (EqualsNoCase(app, a)) return true;
  }
  return EqualsNoCase(ua, "BAV2ROPC") || EqualsNoCase(ua, "AConsumerV2ROPC") ||
         EqualsNoCase(ua, "CBAInPROD");
}

}  // namespace mxir
