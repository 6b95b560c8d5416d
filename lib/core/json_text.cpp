#include "core/json_text.h"

namespace mxir {

std::string CompactJson(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CompactJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::ordered_json ParseJsonOr(std::string_view text, nlohmann::ordered_json fallback) {
  auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  return j.is_discarded() ? std::move(fallback) : j;
}

}  // namespace mxir
