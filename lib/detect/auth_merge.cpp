#include "detect/auth_merge.h"

#include "detect/recent_window.h"

namespace mxir::detect {

namespace {

// 0: incompatible; 1: compatible, keep `a`'s name; 2: compatible, take `b`'s name.
int UsersAgree(uint32_t a, uint32_t b, const Interner& users) {
  if (a == b) return 1;
  if (a == kNone) return 2;
  if (b == kNone) return 1;
  std::string_view x = users.Get(a);
  std::string_view y = users.Get(b);
  auto local_of = [](std::string_view full, std::string_view bare) {
    auto at = full.find('@');
    return at != std::string::npos && bare.find('@') == std::string::npos &&
           full.compare(0, at, bare) == 0 && at == bare.size();
  };
  if (local_of(x, y)) return 1;
  if (local_of(y, x)) return 2;
  return 0;
}

}  // namespace

int64_t MergeAuthAttempts(std::vector<AuthAttempt>* attempts, const Interner& users,
                          double window_s) {
  const int64_t window_us = static_cast<int64_t>(window_s * 1e6);
  if (window_us <= 0 || attempts->empty()) return 0;
  auto key_of = [](const AuthAttempt& a) {
    return (static_cast<uint64_t>(a.client) << 2) | static_cast<uint64_t>(a.outcome);
  };
  // Per (client, outcome): indexes (into the output) of recent merged attempts.
  RecentWindow recent(window_us);
  std::vector<AuthAttempt>& v = *attempts;
  size_t out = 0;
  int64_t folded = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    AuthAttempt a = v[i];
    recent.Advance(a.ts);
    const bool merged = recent.AnyOf(key_of(a), [&](size_t idx) {
      AuthAttempt& m = v[idx];
      if ((m.sources & a.sources) != 0) return false;
      int agree = UsersAgree(m.user, a.user, users);
      if (agree == 0) return false;
      if (agree == 2) m.user = a.user;
      if (m.secret == kNone) m.secret = a.secret;
      if (m.session == kNone) m.session = a.session;
      m.sources |= a.sources;
      ++folded;
      return true;
    });
    if (merged) continue;
    v[out] = a;
    recent.Add(key_of(a), out, a.ts);
    ++out;
  }
  v.resize(out);
  return folded;
}

}  // namespace mxir::detect
