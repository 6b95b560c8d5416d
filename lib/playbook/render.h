// Rendering: `${name}` references in runbook text and command arguments, and the small JSON path
// language of `outputs:` ($.a.b, $[0].c, $[*].ip, $.length).
//
// Substitution works inside one argument at a time: a value never becomes more than one
// argument, never reaches a shell, and a value that would start an argument with '-' (and so be
// read as an option by the tool) is refused, as is a value holding a line break or a NUL.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "playbook/expr.h"

namespace mxir::playbook {

// The names referenced by `${...}` in `text`, in order; an error for a `${` without `}` or an
// empty or malformed name.
Status TemplateNames(const std::string& text, std::vector<std::string>* names);

// Text for people: unknown names stay as `${name}` when `keep_unknown`, else are an error.
Result<std::string> RenderText(const std::string& text, const Lookup& lookup,
                               bool keep_unknown = false);

// One command: each element rendered on its own (see above).
Result<std::vector<std::string>> RenderArgv(const std::vector<std::string>& argv,
                                            const Lookup& lookup);

// The argv as one line a person can copy into a shell (single-quoted where needed).
std::string ShellQuoted(const std::vector<std::string>& argv);

// Follows `path` into `doc`; null when a key or index is missing. An error only for a malformed
// path.
Result<nlohmann::json> JsonPath(const nlohmann::json& doc, const std::string& path);
Status CheckJsonPath(const std::string& path);

}  // namespace mxir::playbook
