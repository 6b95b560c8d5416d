// Text for a hook step's detail: command output folded onto one line.
#pragma once

#include <string>

namespace mxir::hooks {

// Line breaks become "; " (CRs dropped, trailing separators trimmed).
std::string OneLine(const std::string& text);

}  // namespace mxir::hooks
