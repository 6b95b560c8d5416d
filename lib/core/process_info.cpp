#include "core/process_info.h"

#include <cstdlib>

#include <pwd.h>
#include <unistd.h>

namespace mxir {

std::string CurrentActor() {
  std::string name;
  if (struct passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) {
    name = pw->pw_name;
  } else if (const char* u = std::getenv("USER"); u && *u) {
    name = u;
  } else {
    name = "uid " + std::to_string(::geteuid());
  }
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo && name != sudo) {
    name += std::string(" (sudo by ") + sudo + ")";
  }
  return name;
}

}  // namespace mxir
