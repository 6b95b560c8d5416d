#include "core/ascii.h"

namespace mxir {
namespace {

char LowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char UpperChar(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

void AsciiLowerInPlace(std::string* s) {
  for (char& c : *s) c = LowerChar(c);
}

void AsciiUpperInPlace(std::string* s) {
  for (char& c : *s) c = UpperChar(c);
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(&out);
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  AsciiUpperInPlace(&out);
  return out;
}

}  // namespace mxir
