// Ascii: case mapping of ASCII letters only, for protocol words (SMTP verbs, AUTH mechanisms),
// header and field names, DNS names and addresses. Every other byte is left as it is: never
// locale-dependent, never a UTF-8 case fold, so the same input maps the same way on every machine.
#pragma once

#include <string>
#include <string_view>

namespace mxir {

std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
void AsciiLowerInPlace(std::string* s);
void AsciiUpperInPlace(std::string* s);

// `s` equals `lower` ignoring ASCII case (`lower` is lower case already). Inline: the parsers
// call it for every key of every record.
inline bool AsciiEqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace mxir
