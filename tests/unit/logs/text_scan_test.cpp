// text_scan: Field() finds "key=value" pairs exactly as its contract says.
#include "logs/text_scan.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace mxir::logs {
namespace {

// The contract, written the plain way: the first occurrence of the key at a boundary.
std::optional<std::string_view> ReferenceField(std::string_view s, std::string_view key) {
  for (size_t from = 0;;) {
    size_t at = s.find(key, from);
    if (at == std::string_view::npos) return std::nullopt;
    if (at == 0 || std::string_view(" ,;(\t").find(s[at - 1]) != std::string_view::npos) {
      std::string_view v = s.substr(at + key.size());
      if (!v.empty() && v.front() == '<') {
        size_t gt = v.find('>');
        return gt == std::string_view::npos ? v.substr(1) : v.substr(1, gt - 1);
      }
      if (!v.empty() && v.front() == '"') {
        size_t q = v.find('"', 1);
        return q == std::string_view::npos ? v.substr(1) : v.substr(1, q - 1);
      }
      size_t end = v.find_first_of(", ;");
      return end == std::string_view::npos ? v : v.substr(0, end);
    }
    from = at + 1;
  }
}

TEST(Field, PostfixDeliveryLine) {
  std::string_view line =
      "F2EDBAC8ED: to=<news@example.org>, relay=mx.example[3.22.8.8]:25, delay=0.4, "
      "dsn=2.0.0, status=sent (250 2.0.0 OK id=abc to=<not@this>)";
  EXPECT_EQ(Field(line, "to="), "news@example.org");
  EXPECT_EQ(Field(line, "relay="), "mx.example[3.22.8.8]:25");
  EXPECT_EQ(Field(line, "status="), "sent");
  EXPECT_EQ(Field(line, "dsn="), "2.0.0");
  EXPECT_EQ(Field(line, "id="), "abc");  // after a space inside the reply text
  EXPECT_EQ(Field(line, "from="), std::nullopt);
  EXPECT_EQ(Field(line, "o="), std::nullopt);  // "to=" is not "o=": no boundary before 'o'
}

TEST(Field, BoundariesQuotesAndEdges) {
  EXPECT_EQ(Field("user=bob", "user="), "bob");
  EXPECT_EQ(Field("xuser=bob, user=ann", "user="), "ann");
  EXPECT_EQ(Field("a(user=\"b c\")", "user="), "b c");
  EXPECT_EQ(Field("user=", "user="), "");
  EXPECT_EQ(Field("user=<unterminated", "user="), "unterminated");
  EXPECT_EQ(Field("a=1", "sasl_username="), std::nullopt);  // key longer than the text before '='
  EXPECT_EQ(Field("", "user="), std::nullopt);
  EXPECT_EQ(Field("user\t=x;\tuser=y", "user="), "y");
  EXPECT_EQ(Field("from=<a>, to=<b>", "to"), "=<b>");  // a key without '=' is matched as text
}

TEST(Field, AgreesWithTheContractOnRandomText) {
  std::mt19937 rng(11);
  const std::string alphabet = "tousera=<>\", ;(\tx";
  const char* keys[] = {"to=", "user=", "u=", "a=", "sasl_username=", "to", "="};
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    for (int n = static_cast<int>(rng() % 40); n > 0; --n)
      s.push_back(alphabet[rng() % alphabet.size()]);
    for (const char* key : keys) {
      ASSERT_EQ(Field(s, key), ReferenceField(s, key)) << "text '" << s << "' key " << key;
    }
  }
}

}  // namespace
}  // namespace mxir::logs
