// The private Postfix instance of the relay (relay-design.md §7.2): main.cf, master.cf, the
// sender-login map, the cold-IP transport map, and the auth-only Dovecot that checks the SASL
// logins. Everything lives in the config directory given to `mxir relay config --out DIR` and in
// the RELAY.ini instance_dir; the system's /etc/postfix and its queue are never touched.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "relay/relay_config.h"

namespace mxir::relay {

struct GeneratedFile {
  std::string name;     // relative to the config directory
  std::string content;  // exact bytes
};

// The text files of the instance, deterministic for a given config and directory (golden tests).
// The SASL password file is not among them (it holds hashes made with random salts).
std::vector<GeneratedFile> GenerateInstanceFiles(const RelayConfig& c, const std::string& dir);

// The dangerous-setting checks a generated main.cf must pass (relay-design.md §7.6 item 4):
// each violated rule as one sentence; empty when all hold.
std::vector<std::string> CheckMainCf(const std::string& main_cf);

// Writes the files into `dir` (created 0755 if missing), the SASL passwd-file (SHA512-CRYPT
// hashes of the [logins] secrets, 0640 root:dovecot) and the instance directories (queue, data
// owned by postfix, dovecot/). `written` receives the names written.
Status WriteInstance(const RelayConfig& c, const std::string& dir,
                     std::vector<std::string>* written);

}  // namespace mxir::relay
