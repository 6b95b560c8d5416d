// The relay instance's queue and lifecycle: `postqueue -j` parsed into records (who sent what,
// which queue: active, deferred, hold, incoming), held mail released (`postsuper -H`) or deleted
// (`postsuper -d`) by queue id, and the instance (auth-only Dovecot, policy service, Postfix)
// started and stopped together. Every Postfix command gets `-c CONFIG_DIR`: the system's own
// Postfix is never addressed.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "hooks/command_runner.h"
#include "relay/relay_config.h"

namespace mxir::relay {

struct QueuedMessage {
  std::string queue_id, queue_name, sender;
  std::vector<std::string> recipients;
  std::vector<std::string> delay_reasons;
  int64_t arrival_time = 0, message_size = 0;
};

// Parses postqueue -j output (one JSON object per line); bad lines are counted, not fatal.
std::vector<QueuedMessage> ParsePostqueueJson(const std::string& text, size_t* bad_lines);

class RelayInstance {
 public:
  RelayInstance(RelayConfig config, std::string config_dir, hooks::CommandRunner& runner)
      : cfg_(std::move(config)), dir_(std::move(config_dir)), runner_(runner) {}

  Result<std::vector<QueuedMessage>> Queue();
  // postsuper -H (release from hold) or -d (delete) for one queue id (checked: [0-9A-Za-z]+).
  Status Release(const std::string& queue_id);
  Status Purge(const std::string& queue_id);

  // Pids (0 when not running) of Postfix's master, the policy service and the auth Dovecot.
  int PostfixPid() const;
  int PolicyPid() const;
  int DovecotPid() const;
  // OpenDKIM's pid (0 when not running, or when RELAY.ini asks for no DKIM signing).
  int OpenDkimPid() const;
  std::string policy_pid_file() const { return cfg_.instance_dir + "/policy.pid"; }
  std::string policy_log_file() const { return cfg_.instance_dir + "/policy.log"; }

  // Starts Dovecot (auth), the policy service (`self_exe relay policy ...`, detached), OpenDKIM
  // when RELAY.ini has a dkim_selector (`opendkim -x DIR/opendkim.conf`; Postfix's milter
  // tempfails mail while it is down), then Postfix; waits until each is up. `case_path` may be
  // empty.
  Status Up(const std::string& self_exe, const std::string& config_path,
            const std::string& case_path, std::vector<std::string>* steps);
  // Stops Postfix first (no new mail), then the policy service, OpenDKIM and Dovecot.
  Status Down(std::vector<std::string>* steps);
  const std::string& dir() const { return dir_; }

 private:
  Result<std::string> Run(std::vector<std::string> argv, const std::string& what);
  RelayConfig cfg_;
  std::string dir_;
  hooks::CommandRunner& runner_;
};

// A queue id as Postfix prints it (short or long form).
bool ValidQueueId(const std::string& id);

}  // namespace mxir::relay
