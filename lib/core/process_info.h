// Who is running this tool: recorded as the actor of every action in a case's audit trail.
#pragma once

#include <string>

namespace mxir {

// The login name (and, under sudo, who ran sudo: "root (sudo by alice)"); never empty.
std::string CurrentActor();

}  // namespace mxir
