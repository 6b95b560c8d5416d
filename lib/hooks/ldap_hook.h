// LdapHook: accounts in an LDAP directory (OpenLDAP) through libldap. Binds as the configured
// admin DN (password from secret_file/secret_env), finds the account's entry (a DN template, or a
// search filter under a base), and sets the new password with the RFC 3062 Password Modify
// extended operation (the server hashes it with its own password-hash) or, with
// `method = modify`, by replacing userPassword with a salted {CRYPT} SHA-512 hash. With a forced
// change and the ppolicy overlay (pwdMustChange), the server sets pwdReset; when it did not, the
// hook sets `pwdReset: TRUE` itself. Verify binds as the user with the new password and reads
// pwdReset back. Directories hold no sessions: ending them is Dovecot's job (kick, cache flush).
#pragma once

#include <chrono>
#include <string>

#include "hooks/provider_hook.h"

namespace mxir::hooks {

struct LdapConfig {
  std::string uri;  // ldap://127.0.0.1:3890 or ldaps://host
  std::string bind_dn;
  std::string bind_password;     // from the secret reference; wiped with the hook
  std::string user_dn_template;  // "uid=%s,ou=people,dc=example,dc=test" (%s = escaped account)
  std::string base_dn;           // with user_filter, when there is no template
  std::string user_filter = "(mail=%s)";
  bool use_exop = true;  // method = exop (default) or modify
  std::string ca_file;   // for ldaps:// or StartTLS with a private CA
  bool start_tls = false;
  std::chrono::seconds timeout{10};
};

class LdapHook final : public ProviderHook {
 public:
  explicit LdapHook(LdapConfig config) : config_(std::move(config)) {}
  ~LdapHook() override;
  std::string name() const override { return "ldap"; }
  unsigned capabilities() const override { return kSetPassword | kForceChange | kVerify; }
  Status Preflight(const std::string& account, std::vector<HookStep>& steps) override;
  Status ResetPassword(const std::string& account, const std::string& new_password,
                       bool force_change, std::vector<HookStep>& steps) override;
  Result<std::string> Verify(const std::string& account, const std::string& new_password) override;

 private:
  LdapConfig config_;
};

// Escapes a value for a DN attribute value (RFC 4514): , + " \ < > ; = and leading # or space.
std::string EscapeDnValue(const std::string& value);

}  // namespace mxir::hooks
