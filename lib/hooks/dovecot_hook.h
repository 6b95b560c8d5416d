// DovecotHook: accounts in a Dovecot passwd-file. A reset rewrites only the account's password
// field (SHA512-CRYPT or BLF-CRYPT), atomically (ReplaceFileAtomically keeps owner and mode),
// after checking nothing changed the file since it was read; then flushes Dovecot's auth cache
// and kicks the account's IMAP/POP sessions with doveadm (with the instance's -c config when
// given). Verify re-reads the file and checks the new hash; with `auth_socket`, it also asks the
// running Dovecot through its auth socket (no password on any command line). Leftovers: Sieve
// scripts under the account's home that redirect mail. No "must change" flag exists.
#pragma once

#include <string>

#include "hooks/command_runner.h"
#include "hooks/crypt_hash.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct DovecotConfig {
  std::string passwd_file;
  CryptScheme scheme = CryptScheme::kSha512Crypt;
  std::string doveadm = "doveadm";  // empty: do not kick sessions or flush the auth cache
  std::string doveadm_config;       // -c FILE for a private instance
  std::string auth_socket;          // optional: verify through the running Dovecot
};

class DovecotHook final : public ProviderHook {
 public:
  DovecotHook(DovecotConfig config, CommandRunner& runner)
      : config_(std::move(config)), runner_(runner) {}
  std::string name() const override { return "dovecot"; }
  unsigned capabilities() const override {
    // Sessions can be ended only through doveadm: without it, never promise to.
    return kSetPassword | (config_.doveadm.empty() ? 0u : kRevokeSessions) | kVerify | kLeftovers;
  }
  Status Preflight(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResetPassword(const std::string& account, const std::string& new_password,
                       bool force_change, std::vector<HookStep>& steps) override;
  Status RevokeSessions(const std::string& account, std::vector<HookStep>& steps) override;
  Result<std::string> Verify(const std::string& account, const std::string& new_password) override;
  Result<std::vector<Leftover>> ListLeftovers(const std::string& account) override;

 private:
  Status Doveadm(std::vector<std::string> args, const std::string& step,
                 std::vector<HookStep>& steps);
  DovecotConfig config_;
  CommandRunner& runner_;
};

}  // namespace mxir::hooks
