// The private Postfix instance of the relay (relay-design.md §7.2): main.cf, master.cf, the
// sender-login map, the cold-IP transport map, and the auth-only Dovecot that checks the SASL
// logins. Everything lives in the config directory given to `mxir relay config --out DIR` and in
// the RELAY.ini instance_dir; the system's /etc/postfix and its queue are never touched.
// This pair makes the files' text; main_cf_check.h checks a main.cf, instance_writer.h writes the
// instance to disk.
#pragma once

#include <string>
#include <vector>

#include "relay/relay_config.h"

namespace mxir::relay {

struct GeneratedFile {
  std::string name;     // relative to the config directory
  std::string content;  // exact bytes
};

// The text files of the instance, deterministic for a given config and directory (golden tests).
// The SASL password file is not among them (it holds hashes made with random salts).
std::vector<GeneratedFile> GenerateInstanceFiles(const RelayConfig& c, const std::string& dir);

}  // namespace mxir::relay
