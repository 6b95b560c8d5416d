// Small, allocation-free helpers the log parsers share to pick fields out of a line: prefixes,
// "key=value" fields, "host[ip]" client forms, and IP addresses (IPv4-mapped IPv6 is unmapped,
// so "::ffff:192.0.2.1" compares equal to "192.0.2.1"). All take and return views into the line.
#pragma once

#include <optional>
#include <string_view>

#include "core/ascii.h"
#include "core/ip_address.h"

namespace mxir::logs {

inline bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
// Removes `p` from the front of *s when it is there.
inline bool Consume(std::string_view* s, std::string_view p) {
  if (!StartsWith(*s, p)) return false;
  s->remove_prefix(p.size());
  return true;
}
inline bool Contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}
// The text after the first `needle`, or nullopt.
std::optional<std::string_view> After(std::string_view s, std::string_view needle);
// The text before the first `stop` (all of s when absent).
std::string_view UpTo(std::string_view s, std::string_view stop);
std::string_view Trim(std::string_view s);

// An address, unmapped; nullopt when `text` is not one.
std::optional<IpAddress> ParseIp(std::string_view text);

// "name[ip]" or "name[ip]:port" at the start of `s`. Sets *name, *ip and (when present) *port;
// *used is the length matched.
bool ParseHostIp(std::string_view s, std::string_view* name, std::optional<IpAddress>* ip,
                 int* port, size_t* used);
// Finds the first "[ip]" anywhere in `s`.
std::optional<IpAddress> FindBracketIp(std::string_view s);

// The value of `key` (which includes its "=", e.g. "user=") in a "k=v, k=v" or "k=v k=v" list:
// "<...>" values are returned without the brackets, "\"...\"" without the quotes, others up to
// ',', ' ' or ';'. nullopt when the key is absent. The key must start the text or follow a
// space, ',', ';' or '('.
std::optional<std::string_view> Field(std::string_view s, std::string_view key);

// "535 5.7.8 text" -> code 535, enhanced "5.7.8", text; false when no 3-digit code leads.
bool ParseReply(std::string_view s, int* code, std::string_view* enhanced, std::string_view* text);

// Parses a decimal integer (the whole view); nullopt otherwise.
std::optional<int64_t> ParseInt(std::string_view s);

// `key` equals `lower_name` ignoring ASCII case: the hosted-mail parsers' name for
// AsciiEqualsLower (core/ascii.h), used for every key of every record and every column name.
inline bool KeyIs(std::string_view key, std::string_view lower_name) {
  return AsciiEqualsLower(key, lower_name);
}

}  // namespace mxir::logs
