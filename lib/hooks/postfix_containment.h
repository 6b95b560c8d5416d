// PostfixContainment: stops a compromised account sending through Postfix at once — the step
// before or beside a reset, because a new password does not end SMTP sessions that already
// authenticated. SuspendOutbound adds "ACCOUNT REJECT text" to the check_sasl_access map (an
// atomic rewrite; every other line kept), rebuilds it with postmap, reloads Postfix, and holds the
// account's queued mail (postqueue -j, chosen by envelope sender, postsuper -h). ResumeOutbound
// ("mxir reset release") removes the map line and releases the held mail (postsuper -H);
// PurgeHeld ("mxir reset purge") removes the map line and deletes the held mail (postsuper -d).
// Every Postfix command gets the instance's -c config_dir. Preflight checks that main.cf really
// uses the map, so a block that Postfix ignores is never reported as done.
#pragma once

#include <string>
#include <vector>

#include "hooks/command_runner.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct PostfixConfig {
  std::string config_dir = "/etc/postfix";
  std::string access_map;         // the map file, e.g. /etc/postfix/sasl_access
  std::string map_type = "hash";  // hash, lmdb, cdb (postmap) or texthash (no postmap)
  std::string command_dir = "/usr/sbin";
  std::string reject_text = "5.7.1 account suspended during incident response";
};

class PostfixContainment final : public ProviderHook {
 public:
  PostfixContainment(PostfixConfig config, CommandRunner& runner)
      : config_(std::move(config)), runner_(runner) {}
  std::string name() const override { return "postfix"; }
  unsigned capabilities() const override { return kSuspendOutbound | kPurgeHeld; }
  Status Preflight(const std::string& account, std::vector<HookStep>& steps) override;
  Status SuspendOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResumeOutbound(const std::string& account, std::vector<HookStep>& steps) override;
  Status PurgeHeld(const std::string& account, std::vector<HookStep>& steps) override;

 private:
  Status Postfix(const std::string& tool, std::vector<std::string> args, const std::string& step,
                 std::vector<HookStep>& steps, const std::string& stdin_data = "",
                 std::string* output = nullptr);
  Status SetBlocked(const std::string& account, bool blocked, std::vector<HookStep>& steps);
  // Queue ids of the account's messages in the given queues (by envelope sender).
  Result<std::vector<std::string>> QueueIds(const std::string& account,
                                            const std::vector<std::string>& queues,
                                            std::vector<HookStep>& steps);
  Status ActOnQueue(const std::string& account, const std::vector<std::string>& queues,
                    const std::string& flag, const std::string& step, std::vector<HookStep>& steps);
  PostfixConfig config_;
  CommandRunner& runner_;
  bool checked_ = false;  // Preflight passed: main.cf uses the map
};

// The map text with the account's line added (blocked) or removed; `changed` tells whether it
// differs. Keys are compared case-insensitively, as Postfix's lookup does.
std::string EditAccessMap(const std::string& text, const std::string& account, bool blocked,
                          const std::string& reject_text, bool* changed);

}  // namespace mxir::hooks
