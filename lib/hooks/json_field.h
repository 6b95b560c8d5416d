// Reading fields of a provider's JSON answer without trusting its shape: nlohmann's value()
// throws when the field is null or of another type (or the answer is not an object), and an
// exception after a password was set would lose it. These give the fallback instead.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace mxir::hooks {

template <typename Json>
std::string JsonString(const Json& j, const char* key, std::string fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->template get<std::string>() : fallback;
}

template <typename Json>
bool JsonBool(const Json& j, const char* key, bool fallback = false) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->template get<bool>() : fallback;
}

template <typename Json>
int64_t JsonInt(const Json& j, const char* key, int64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->template get<int64_t>() : fallback;
}

}  // namespace mxir::hooks
