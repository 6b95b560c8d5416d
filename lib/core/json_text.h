// JsonText: one JSON value as compact text and back, for what mxir stores in its case (details,
// codes, inputs) and prints (--format json/jsonl). Neither direction throws: text that is not
// valid UTF-8 (a hostile log's or peer's bytes) is written with U+FFFD in its place, and a
// stored text that is not JSON (a damaged column) reads as the caller's fallback.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mxir {

std::string CompactJson(const nlohmann::ordered_json& value);
std::string CompactJson(const nlohmann::json& value);

nlohmann::ordered_json ParseJsonOr(std::string_view text, nlohmann::ordered_json fallback);

}  // namespace mxir
