// Expressions in runbooks (`when`, `expect.that`, `if.condition`, `switch.on`, `repeat.until`,
// `verify.that`): identifiers (letters, digits, `_`, `-`, dotted: `steps.measure.rate`),
// literals (numbers, 'text' or "text", true, false, null), comparisons `== != < <= > >=`,
// `in` and `contains`, `and`, `or`, `not` and parentheses. Nothing else: no calls, no arithmetic,
// nothing that could reach the shell or the file system.
//
// Evaluate() looks identifiers up through `lookup`; an identifier it does not know is an error of
// code kNotFound (the dry run uses that to tell "unknown yet" from a broken expression).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mxir::playbook {

using Lookup = std::function<std::optional<nlohmann::json>(const std::string& name)>;

// Checks the syntax; on success fills `identifiers` (if given) with the names used.
Status ParseExpression(const std::string& text, std::vector<std::string>* identifiers = nullptr);

Result<nlohmann::json> Evaluate(const std::string& text, const Lookup& lookup);

// true/false of a value: null and false are false, numbers when not 0, text when not empty and
// not "false"/"no", lists and objects when not empty.
bool Truthy(const nlohmann::json& v);

// Text of a value as it goes into an argument or a message (strings without quotes).
std::string ValueText(const nlohmann::json& v);

}  // namespace mxir::playbook
