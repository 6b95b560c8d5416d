#include "logs/text_scan.h"

#include <cstring>

namespace mxir::logs {

std::optional<std::string_view> After(std::string_view s, std::string_view needle) {
  size_t at = s.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  return s.substr(at + needle.size());
}

std::string_view UpTo(std::string_view s, std::string_view stop) {
  size_t at = s.find(stop);
  return at == std::string_view::npos ? s : s.substr(0, at);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  if (StartsWith(text, "IPv6:")) text.remove_prefix(5);
  auto ip = IpAddress::Parse(text);
  if (!ip) return std::nullopt;
  return ip->Unmapped();
}

bool ParseHostIp(std::string_view s, std::string_view* name, std::optional<IpAddress>* ip,
                 int* port, size_t* used) {
  size_t open = s.find('[');
  if (open == std::string_view::npos) return false;
  for (size_t i = 0; i < open; ++i) {
    if (s[i] == ' ') return false;
  }
  size_t close = s.find(']', open);
  if (close == std::string_view::npos) return false;
  auto parsed = ParseIp(s.substr(open + 1, close - open - 1));
  if (!parsed) return false;
  *name = s.substr(0, open);
  *ip = parsed;
  size_t end = close + 1;
  if (end < s.size() && s[end] == ':' && end + 1 < s.size() && s[end + 1] >= '0' &&
      s[end + 1] <= '9') {
    int p = 0;
    size_t i = end + 1;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && p < 100000) p = p * 10 + (s[i++] - '0');
    if (port != nullptr) *port = p;
    end = i;
  }
  *used = end;
  return true;
}

std::optional<IpAddress> FindBracketIp(std::string_view s) {
  size_t from = 0;
  for (int guard = 0; guard < 64; ++guard) {
    size_t open = s.find('[', from);
    if (open == std::string_view::npos) return std::nullopt;
    size_t close = s.find(']', open);
    if (close == std::string_view::npos) return std::nullopt;
    if (auto ip = ParseIp(s.substr(open + 1, close - open - 1))) return ip;
    from = open + 1;
  }
  return std::nullopt;
}

namespace {

bool FieldBoundary(std::string_view s, size_t at) {
  if (at == 0) return true;
  char c = s[at - 1];
  return c == ' ' || c == ',' || c == ';' || c == '(' || c == '\t';
}

std::string_view FieldValue(std::string_view v) {
  if (!v.empty() && v.front() == '<') {
    size_t gt = v.find('>');
    return gt == std::string_view::npos ? v.substr(1) : v.substr(1, gt - 1);
  }
  if (!v.empty() && v.front() == '"') {
    size_t q = v.find('"', 1);
    return q == std::string_view::npos ? v.substr(1) : v.substr(1, q - 1);
  }
  size_t end = 0;  // (find_first_of tests each byte against the set with a call per byte)
  while (end < v.size() && v[end] != ',' && v[end] != ' ' && v[end] != ';') ++end;
  return v.substr(0, end);
}

}  // namespace

std::optional<std::string_view> Field(std::string_view s, std::string_view key) {
  if (key.empty()) return std::nullopt;
  if (key.back() == '=') {
    // Hop from '=' to '=' (a line has a handful) and compare what precedes each with the key,
    // instead of searching for the key's first letter, which is everywhere.
    const std::string_view name = key.substr(0, key.size() - 1);
    for (size_t from = name.size(); from < s.size();) {
      const void* eq = std::memchr(s.data() + from, '=', s.size() - from);
      if (eq == nullptr) return std::nullopt;
      const size_t pos = static_cast<size_t>(static_cast<const char*>(eq) - s.data());
      const size_t at = pos - name.size();
      if (s.compare(at, name.size(), name) == 0 && FieldBoundary(s, at)) {
        return FieldValue(s.substr(pos + 1));
      }
      from = pos + 1;
    }
    return std::nullopt;
  }
  for (size_t from = 0;;) {
    size_t at = s.find(key, from);
    if (at == std::string_view::npos) return std::nullopt;
    if (FieldBoundary(s, at)) return FieldValue(s.substr(at + key.size()));
    from = at + 1;
  }
}

bool ParseReply(std::string_view s, int* code, std::string_view* enhanced, std::string_view* text) {
  if (s.size() < 3) return false;
  for (int i = 0; i < 3; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  if (s[0] < '2' || s[0] > '5') return false;
  if (s.size() > 3 && s[3] != ' ' && s[3] != '-') return false;
  *code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  std::string_view rest = s.size() > 4 ? s.substr(4) : std::string_view();
  *enhanced = {};
  // "5.7.1 " enhanced status: digit '.' digits '.' digits
  if (rest.size() >= 5 && rest[0] >= '2' && rest[0] <= '5' && rest[1] == '.') {
    size_t sp = rest.find(' ');
    std::string_view cand = rest.substr(0, sp);
    bool ok = cand.size() <= 9;
    int dots = 0;
    for (char c : cand) {
      if (c == '.') {
        ++dots;
      } else if (c < '0' || c > '9') {
        ok = false;
      }
    }
    if (ok && dots == 2) {
      *enhanced = cand;
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
  }
  *text = rest;
  return true;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace mxir::logs
