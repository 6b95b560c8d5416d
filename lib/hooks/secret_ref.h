// ReadSecretRef: the one way a hook gets a credential. The hooks file never holds a secret; a
// section names where it is: `secret_file = PATH` (a file readable only by its owner, its text
// with the final newline removed) or `secret_env = NAME` (an environment variable). Command-line
// options never carry secrets. The error says which section and what to fix, never the value.
#pragma once

#include <string>

#include "core/ini_file.h"
#include "core/status.h"

namespace mxir::hooks {

// Reads the secret referenced by `<prefix>secret_file` / `<prefix>secret_env` in `section` (e.g.
// prefix "" for the main credential, "hmac_" for a webhook key). kUsage when neither or both
// are set; kIo when the file cannot be read or group/others can read it; kNotFound when the
// variable is unset or empty.
Result<std::string> ReadSecretRef(const IniFile::Section& section, const std::string& section_name,
                                  const std::string& prefix = "");

// Reads a file that holds a secret (key, token, service-account JSON), refusing one that group or
// others can read. The trailing newline, if any, is kept; callers trim as they need.
Result<std::string> ReadPrivateFile(const std::string& path, const std::string& what);

}  // namespace mxir::hooks
