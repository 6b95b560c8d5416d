// The guessing test shared by the hosted-mail detectors (detect_context.h).
#include <set>

#include "detect/detect_context.h"

namespace mxir::detect {

namespace {
constexpr int64_t kWindowUs = 24 * kMicrosPerHour;

bool WrongPassword(LoginResult r) {
  return r == LoginResult::kBadPassword || r == LoginResult::kUnknownUser ||
         r == LoginResult::kLocked;
}
}  // namespace

bool HostedClientWasGuessing(const Evidence& ev, uint32_t client, uint32_t user, int64_t ts) {
  if (client == kNone) return false;
  std::set<uint32_t> failed, succeeded;
  int for_user = 0;
  for (const HostedLoginRec& r : ev.hosted_logins) {
    if (r.ts >= ts) break;
    if (r.ts < ts - kWindowUs || r.client != client) continue;
    if (WrongPassword(r.result)) {
      failed.insert(r.user);
      if (r.user == user) ++for_user;
    } else if (r.result == LoginResult::kSuccess) {
      succeeded.insert(r.user);
      if (r.user == user) for_user = 0;  // the user's own typo, then the right password
    }
  }
  // Accounts that failed from this client and never logged in from it: an office address where
  // people mistype and then log in has none (or few) of them.
  size_t never = 0;
  for (uint32_t u : failed) never += succeeded.count(u) == 0;
  return (never >= 3 && never > succeeded.size()) || for_user >= 5;
}

}  // namespace mxir::detect
