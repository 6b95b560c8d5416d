// CACAO 2.0 export of a runbook (`mxir playbook export ID --format cacao`).
//
// The runbook becomes a CACAO 2.0 playbook (OASIS CACAO Security Playbooks v2.0, CS01): `run`
// steps are actions with a bash command (the argv, shell-quoted, variables as __name__:value),
// `ask`/`check`/`say` and `gate` are actions with a manual command, `if`/`switch`/`repeat` are
// if-/switch-/while-condition steps whose branches end in their own end step, and `end` is an
// end step. What CACAO cannot say (gates, expectations, verify, mutates, answer types) goes into
// step_extensions under one declared extension. Ids are UUIDv5 of the runbook id and step path,
// so the same runbook always exports the same document.
//
// CheckCacao() makes the checks the OASIS JSON schemas do not: every step a pointer names
// exists, no step has on_completion together with on_success/on_failure, start and end steps
// carry only the pointers they may, every action names a defined agent and has a command, every
// __variable__ used is declared, timestamps have exactly three fraction digits.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "playbook/runbook.h"

namespace mxir::playbook {

nlohmann::ordered_json ExportCacao(const Runbook& rb);

// Problems found (empty when none).
std::vector<std::string> CheckCacao(const nlohmann::ordered_json& playbook);

// A name-based (version 5, SHA-1) UUID under mxir's namespace.
std::string Uuid5(const std::string& name);

}  // namespace mxir::playbook
