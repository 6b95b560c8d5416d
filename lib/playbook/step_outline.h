// A runbook's steps as an indented outline for people (mxir playbook show): each step's id, type
// and title, what it runs or asks, and the branches of if/switch/repeat steps nested under it.
#pragma once

#include <ostream>
#include <vector>

#include "playbook/runbook.h"

namespace mxir::playbook {

void WriteStepOutline(std::ostream& out, const std::vector<Step>& steps, int depth = 0);

}  // namespace mxir::playbook
