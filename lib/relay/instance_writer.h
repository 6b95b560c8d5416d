// Writing the relay's private Postfix instance to disk (`mxir relay config --out DIR`): the
// generated files (postfix_config.h), the SASL passwd-file and the instance directories. Files
// are replaced atomically (a temporary file, fsync, rename).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "relay/relay_config.h"

namespace mxir::relay {

// Writes the files into `dir` (created 0755 if missing), the SASL passwd-file (SHA512-CRYPT
// hashes of the [logins] secrets, 0640 root:dovecot) and the instance directories (queue, data
// owned by postfix, dovecot/). `written` receives the names written.
Status WriteInstance(const RelayConfig& c, const std::string& dir,
                     std::vector<std::string>* written);

}  // namespace mxir::relay
