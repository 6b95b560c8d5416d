// Text for a hook step's detail: ASCII lower case, and command output folded onto one line.
#pragma once

#include <string>

namespace mxir::hooks {

std::string Lower(std::string s);

// Line breaks become "; " (CRs dropped, trailing separators trimmed).
std::string OneLine(const std::string& text);

}  // namespace mxir::hooks
