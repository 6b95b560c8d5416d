#include "smtp/zeek_addresses.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <arpa/inet.h>

namespace mxir::smtp {
namespace {

constexpr bool IsBlank(char c) { return c == ' ' || c == '\t'; }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Zeek regex: (^|[<,:[:blank:]])[^<,:[:blank:]@]+"@"[^>,;[:blank:]]+([>,;[:blank:]]|$), applied
// by find_all, where ^ matches at every start position. Returns the match length at `i`, or 0.
size_t MatchEmailAt(std::string_view s, size_t i) {
  size_t best = 0;
  // Two alternatives for the optional prefix character; keep the longest match.
  for (int with_prefix = 0; with_prefix < 2; ++with_prefix) {
    size_t p = i;
    if (with_prefix) {
      if (p >= s.size()) break;
      const char c = s[p];
      if (c != '<' && c != ',' && c != ':' && !IsBlank(c)) break;
      ++p;
    }
    const size_t local_start = p;
    while (p < s.size() && s[p] != '<' && s[p] != ',' && s[p] != ':' && s[p] != '@' &&
           !IsBlank(s[p])) {
      ++p;
    }
    if (p == local_start || p >= s.size() || s[p] != '@') continue;
    ++p;
    const size_t domain_start = p;
    while (p < s.size() && s[p] != '>' && s[p] != ',' && s[p] != ';' && !IsBlank(s[p])) ++p;
    if (p == domain_start) continue;
    if (p < s.size()) ++p;  // the terminator character; at the end `$` matches
    best = std::max(best, p - i);
  }
  return best;
}

// Where the local-part run that a match at `i` would need ends. When there is no match at `i`,
// none can start before that point either (their runs end at the same place), so scanning
// resumes there: this keeps extraction linear on hostile input.
size_t NextEmailStart(std::string_view s, size_t i) {
  size_t p = i;
  const char c = s[p];
  if (c == '<' || c == ',' || c == ':' || IsBlank(c)) ++p;
  while (p < s.size() && s[p] != '<' && s[p] != ',' && s[p] != ':' && s[p] != '@' &&
         !IsBlank(s[p])) {
    ++p;
  }
  if (p < s.size() && s[p] == '@') ++p;  // an '@' without a usable domain cannot start one
  return std::max(p, i + 1);
}

bool IsEmailSeparator(char c) {
  return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' || IsBlank(c);
}

// Longest IPv4 (Zeek's ipv4_addr_regex: octets of 1-3 digits, at most 255) at s[i].
size_t MatchIpv4At(std::string_view s, size_t i) {
  // Each octet: try the longest valid length first; the regex is leftmost-longest overall, and
  // with a fixed "." structure the greedy choice per octet that still completes is the longest.
  struct Frame {
    size_t pos;
    int octet;
  };
  // Depth-first over octet lengths 3,2,1 (at most 3^4 paths).
  size_t best = 0;
  auto valid = [&](size_t p, size_t len) {
    if (p + len > s.size()) return false;
    for (size_t k = 0; k < len; ++k) {
      if (!IsDigit(s[p + k])) return false;
    }
    if (len == 3) {
      const int v = (s[p] - '0') * 100 + (s[p + 1] - '0') * 10 + (s[p + 2] - '0');
      return v <= 255;
    }
    return true;
  };
  Frame stack[16];
  int top = 0;
  stack[top++] = {i, 0};
  while (top > 0) {
    const Frame f = stack[--top];
    for (size_t len = 1; len <= 3; ++len) {
      if (!valid(f.pos, len)) break;
      size_t p = f.pos + len;
      if (f.octet == 3) {
        best = std::max(best, p - i);
      } else if (p < s.size() && s[p] == '.' && top < 15) {
        stack[top++] = {p + 1, f.octet + 1};
      }
    }
  }
  return best;
}

// Longest IPv6 at s[i]: the longest prefix of the run of hex digits, ':' and '.' that parses.
size_t MatchIpv6At(std::string_view s, size_t i) {
  size_t run = i;
  bool colon = false;
  while (run < s.size() && run - i < 45 && (IsHex(s[run]) || s[run] == ':' || s[run] == '.')) {
    colon |= s[run] == ':';
    ++run;
  }
  if (!colon) return 0;
  char buf[64];
  unsigned char out[16];
  for (size_t end = run; end > i + 1; --end) {
    const size_t n = end - i;
    std::memcpy(buf, s.data() + i, n);
    buf[n] = '\0';
    if (std::memchr(buf, ':', n) && inet_pton(AF_INET6, buf, out) == 1) return n;
  }
  return 0;
}

struct IpMatch {
  size_t pos, len;
};

// Header text searched for IP addresses; real Received and X-Originating-IP headers are far
// shorter, and the bound keeps hostile headers cheap.
constexpr size_t kMaxIpSearch = 4096;

constexpr bool IsIpv6Char(char c) { return IsHex(c) || c == ':' || c == '.'; }

// Zeek's split_string_all(input, ip_addr_regex): leftmost matches, longest at each position.
std::vector<IpMatch> FindIps(std::string_view s) {
  s = s.substr(0, kMaxIpSearch);
  std::vector<IpMatch> found;
  // The maximal run of IPv6 characters around i. IPv6 text has "::" or at least six colons (8
  // groups, or 6 and a dotted IPv4), so in a run without them (times, words, hex ids) no
  // position can start one: MatchIpv6At and its inet_pton calls are skipped there.
  size_t run_end = 0;
  bool run_may_hold_v6 = false;
  for (size_t i = 0; i < s.size();) {
    if (i >= run_end && IsIpv6Char(s[i])) {
      int colons = 0;
      bool double_colon = false;
      for (run_end = i; run_end < s.size() && IsIpv6Char(s[run_end]); ++run_end) {
        if (s[run_end] != ':') continue;
        ++colons;
        double_colon |= run_end > i && s[run_end - 1] == ':';
      }
      run_may_hold_v6 = double_colon || colons >= 6;
    }
    const bool v6 = i < run_end && run_may_hold_v6;
    const size_t n = std::max(IsDigit(s[i]) ? MatchIpv4At(s, i) : 0, v6 ? MatchIpv6At(s, i) : 0);
    if (n > 0) {
      found.push_back({i, n});
      i += n;
    } else {
      ++i;
    }
  }
  return found;
}

bool Wrapped(char before, char after) {
  return (before == '[' && after == ']') || (before == '(' && after == ')') ||
         (before == '{' && after == '}') || (before == ' ' && after == ' ');
}

}  // namespace

std::vector<std::string> ExtractEmailAddresses(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = MatchEmailAt(s, i);
    if (n == 0) {
      i = NextEmailStart(s, i);
      continue;
    }
    std::string addr;
    for (size_t k = i; k < i + n; ++k) {
      if (!IsEmailSeparator(s[k])) addr += s[k];
    }
    out.push_back(std::move(addr));
    i += n;
  }
  return out;
}

std::vector<std::string> SplitMimeAddresses(std::string_view s) {
  // find_all(/(\"[^"]*\")?[^,]+/) then strip().
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t plain = i;
    while (plain < s.size() && s[plain] != ',') ++plain;
    size_t quoted = i;
    if (s[i] == '"') {
      const size_t close = s.find('"', i + 1);
      if (close != std::string_view::npos) {
        size_t p = close + 1;
        const size_t rest = p;
        while (p < s.size() && s[p] != ',') ++p;
        if (p > rest) quoted = p;
      }
    }
    const size_t end = std::max(plain, quoted);
    if (end == i) {
      ++i;  // a comma
      continue;
    }
    std::string_view part = s.substr(i, end - i);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) {
      part.remove_prefix(1);
    }
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) {
      part.remove_suffix(1);
    }
    out.emplace_back(part);
    i = end;
  }
  return out;
}

std::optional<IpAddress> FindAddressInReceived(std::string_view header) {
  header = header.substr(0, kMaxIpSearch);
  const std::vector<IpMatch> ips = FindIps(header);
  std::vector<IpAddress> wrapped;
  for (size_t k = 0; k < ips.size(); ++k) {
    const IpMatch& m = ips[k];
    // The parts around the match in split_string_all: text since the previous match, and text
    // up to the next match (empty when two matches touch).
    const size_t prev_end = k > 0 ? ips[k - 1].pos + ips[k - 1].len : 0;
    const size_t next_start = k + 1 < ips.size() ? ips[k + 1].pos : header.size();
    const size_t end = m.pos + m.len;
    const bool before_empty = m.pos == prev_end;
    const bool after_empty = end == next_start;
    if (end >= header.size() && k + 1 == ips.size()) {
      // The last part exists but is empty: only "both empty" can hold.
      if (!(before_empty && after_empty)) continue;
    } else if (!(before_empty && after_empty) &&
               (before_empty || after_empty || !Wrapped(header[m.pos - 1], header[end]))) {
      continue;
    }
    if (auto ip = IpAddress::Parse(header.substr(m.pos, m.len))) wrapped.push_back(*ip);
  }
  if (wrapped.size() > 1) return wrapped[1];
  if (!wrapped.empty()) return wrapped[0];
  return std::nullopt;
}

std::optional<IpAddress> FirstIpAddress(std::string_view s) {
  for (const IpMatch& m : FindIps(s)) {
    if (auto ip = IpAddress::Parse(s.substr(m.pos, m.len))) return ip;
  }
  return std::nullopt;
}

}  // namespace mxir::smtp
