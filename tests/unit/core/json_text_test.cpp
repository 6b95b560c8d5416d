#include "core/json_text.h"

#include <gtest/gtest.h>

namespace mxir {
namespace {

TEST(JsonText, CompactAndNeverThrowsOnBadUtf8) {
  nlohmann::ordered_json j = {{"b", 1}, {"a", {"x", "y"}}};
  EXPECT_EQ(CompactJson(j), R"({"b":1,"a":["x","y"]})");  // insertion order kept
  nlohmann::json plain = {{"k", "v"}};
  EXPECT_EQ(CompactJson(plain), R"({"k":"v"})");
  // A hostile peer's bytes: a lone continuation byte and a truncated sequence.
  nlohmann::ordered_json bad = {{"user", std::string("ab\x80"
                                                     "c\xE2\x82")}};
  std::string text;
  ASSERT_NO_THROW(text = CompactJson(bad));
  EXPECT_EQ(text,
            "{\"user\":\"ab\xEF\xBF\xBD"
            "c\xEF\xBF\xBD\"}");
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded());
}

TEST(JsonText, ParseJsonOrGivesTheFallbackForDamagedText) {
  EXPECT_EQ(ParseJsonOr(R"({"a":[1,2]})", nullptr)["a"][1], 2);
  EXPECT_EQ(ParseJsonOr("{\"a\":", nlohmann::ordered_json::object()),
            nlohmann::ordered_json::object());
  EXPECT_EQ(ParseJsonOr("", nlohmann::ordered_json::array()), nlohmann::ordered_json::array());
  EXPECT_EQ(ParseJsonOr("[1] trailing", "fallback"), "fallback");
}

}  // namespace
}  // namespace mxir
