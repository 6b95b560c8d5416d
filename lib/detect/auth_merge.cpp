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

int64_t MergeAuthAttempts(const std::vector<AuthAttempt>& in, const Interner& users,
                          double window_s, std::vector<AuthAttempt>* out,
                          std::vector<uint32_t>* creators) {
  out->clear();
  creators->clear();
  const int64_t window_us = static_cast<int64_t>(window_s * 1e6);
  if (window_us <= 0) {
    out->assign(in.begin(), in.end());
    creators->resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) (*creators)[i] = static_cast<uint32_t>(i);
    return 0;
  }
  // Room to grow: a --follow pass adds a few attempts, and reserving exactly would move the
  // whole vector (and fault in fresh pages) at every pass.
  if (out->capacity() < in.size()) out->reserve(in.size() + in.size() / 4);
  if (creators->capacity() < in.size()) creators->reserve(in.size() + in.size() / 4);
  auto key_of = [](const AuthAttempt& a) {
    return (static_cast<uint64_t>(a.client) << 2) | static_cast<uint64_t>(a.outcome);
  };
  // Per (client, outcome): indexes (into the output) of recent merged attempts.
  RecentWindow recent(window_us);
  std::vector<AuthAttempt>& v = *out;
  int64_t folded = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const AuthAttempt& a = in[i];
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
    recent.Add(key_of(a), v.size(), a.ts);
    v.push_back(a);
    creators->push_back(static_cast<uint32_t>(i));
  }
  return folded;
}

}  // namespace mxir::detect
