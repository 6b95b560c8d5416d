#include "core/ascii.h"

#include <gtest/gtest.h>

namespace mxir {
namespace {

TEST(Ascii, MapsOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("AUTH Login@Example.COM"), "auth login@example.com");
  EXPECT_EQ(AsciiUpper("auth plain x-2"), "AUTH PLAIN X-2");
  // Bytes outside A-Z / a-z stay as they are: digits, punctuation, UTF-8 (here "Ä" and "ß").
  EXPECT_EQ(AsciiLower("0-9 [@] \xC3\x84\xC3\x9F"), "0-9 [@] \xC3\x84\xC3\x9F");
  EXPECT_EQ(AsciiUpper("\xC3\xA4\xC3\x9F{z}"), "\xC3\xA4\xC3\x9F{Z}");
  // '@' and '[' sit just before 'A' and just after 'Z'; '`' and '{' around 'a'..'z'.
  EXPECT_EQ(AsciiLower("@AZ[`az{"), "@az[`az{");
  EXPECT_EQ(AsciiUpper("@AZ[`az{"), "@AZ[`AZ{");
  std::string s = "MiXeD";
  AsciiLowerInPlace(&s);
  EXPECT_EQ(s, "mixed");
  AsciiUpperInPlace(&s);
  EXPECT_EQ(s, "MIXED");
  EXPECT_EQ(AsciiLower(""), "");
  EXPECT_EQ(AsciiLower(std::string_view("A\0B", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace mxir
