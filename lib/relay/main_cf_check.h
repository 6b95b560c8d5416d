// The dangerous-setting checks a generated main.cf must pass before `mxir relay config` writes it
// (relay-design.md §7.6 item 4): no open relaying, the policy service at every stage with a
// fail-closed default, no SMTP smuggling openings, TLS-only AUTH, no percent hack.
#pragma once

#include <string>
#include <vector>

namespace mxir::relay {

// Each violated rule as one sentence; empty when all hold.
std::vector<std::string> CheckMainCf(const std::string& main_cf);

}  // namespace mxir::relay
