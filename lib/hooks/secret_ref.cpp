#include "hooks/secret_ref.h"

#include <cstdlib>

#include "core/file_util.h"

namespace mxir::hooks {

Result<std::string> ReadPrivateFile(const std::string& path, const std::string& what) {
  MXIR_ASSIGN_OR_RETURN(mode_t mode, FileMode(path));
  if ((mode & 077) != 0) {
    return MakeError(ErrorCode::kInvalidInput,
                     what + " '" + path +
                         "' can be read by group or others; make it private "
                         "first: chmod 600 '" +
                         path + "'");
  }
  return ReadFile(path);
}

Result<std::string> ReadSecretRef(const IniFile::Section& section, const std::string& section_name,
                                  const std::string& prefix) {
  auto file = section.find(prefix + "secret_file");
  auto env = section.find(prefix + "secret_env");
  bool has_file = file != section.end() && !file->second.empty();
  bool has_env = env != section.end() && !env->second.empty();
  std::string where = "hooks file section [" + section_name + "]";
  if (has_file == has_env) {
    return MakeError(ErrorCode::kUsage, where + " must name its secret with exactly one of '" +
                                            prefix + "secret_file = PATH' or '" + prefix +
                                            "secret_env = NAME'");
  }
  if (has_env) {
    const char* v = std::getenv(env->second.c_str());
    if (v == nullptr || *v == '\0') {
      return MakeError(ErrorCode::kNotFound, where + ": environment variable " + env->second +
                                                 " (its " + prefix + "secret_env) is not set");
    }
    return std::string(v);
  }
  auto text = ReadPrivateFile(file->second, "secret file");
  if (!text.ok()) return text.error().WithContext(where);
  std::string s = std::move(text).value();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) {
    return MakeError(ErrorCode::kInvalidInput,
                     where + ": secret file '" + file->second + "' is empty");
  }
  return s;
}

}  // namespace mxir::hooks
