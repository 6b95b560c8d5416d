#include "core/process_info.h"

#include <cstdlib>
#include <string_view>

#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

namespace {
// Only what a command needs to run is passed on: mxir's own environment may hold other hooks'
// secrets (secret_env of another section, a cloud token), and a command must not see them.
bool PassedOn(std::string_view key) {
  static constexpr std::string_view kNames[] = {"PATH", "HOME",    "LANG",   "LANGUAGE", "TZ",
                                                "USER", "LOGNAME", "TMPDIR", "LC_ALL"};
  for (std::string_view n : kNames) {
    if (key == n) return true;
  }
  return key.substr(0, 3) == "LC_";
}
}  // namespace

std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  bool has_path = extra.count("PATH") > 0;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    if (extra.count(std::string(key)) == 0 && PassedOn(key)) {
      env.emplace_back(entry);
      has_path = has_path || key == "PATH";
    }
  }
  if (!has_path)
    env.emplace_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

void DisableCoreDumps() {
  struct rlimit none {};
  ::setrlimit(RLIMIT_CORE, &none);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace mxir
