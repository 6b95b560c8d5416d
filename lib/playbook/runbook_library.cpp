#include "playbook/runbook_library.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/file_util.h"

namespace mxir::playbook {

namespace fs = std::filesystem;

std::string RunbookFolder(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("MXIR_PLAYBOOKS"); env && *env) return env;
  fs::path self = ExecutableDir().empty() ? fs::path(".") : fs::path(ExecutableDir());
  for (const fs::path& p :
       {self / ".." / ".." / "playbooks", self / ".." / "share" / "mxir" / "playbooks"}) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "playbooks";
}

Result<std::vector<std::string>> RunbookFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  if (ec)
    return MakeError(ErrorCode::kNotFound, "cannot read the runbook folder '" + dir +
                                               "': " + ec.message() + " (give --playbooks DIR)");
  std::sort(files.begin(), files.end());
  return files;
}

Result<Runbook> LoadRunbookById(const std::string& dir, const std::string& id) {
  if (id.empty() || id.find('/') != std::string::npos || id[0] == '.')
    return MakeError(ErrorCode::kUsage,
                     "'" + id + "' is not a runbook id (see mxir playbook list)");
  std::string path = dir + "/" + id + ".yaml";
  if (!FileExists(path))
    return MakeError(ErrorCode::kNotFound,
                     "no runbook '" + id + "' in " + dir + " (mxir playbook list shows them)");
  LintResult lint;
  auto rb = LoadRunbookFile(path, &lint);
  if (!rb.ok())
    return MakeError(ErrorCode::kInvalidInput,
                     rb.error().message + "; run mxir playbook lint " + path);
  return rb;
}

}  // namespace mxir::playbook
