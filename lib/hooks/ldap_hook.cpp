#include "hooks/ldap_hook.h"

#include <cstdlib>
#include <memory>

#include <ldap.h>
#include <unistd.h>

#include "core/secret_fingerprint.h"
#include "hooks/crypt_hash.h"

namespace mxir::hooks {
namespace {

struct LdapCloser {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using LdapPtr = std::unique_ptr<LDAP, LdapCloser>;

Error LdapError(const std::string& what, int rc) {
  ErrorCode code = rc == LDAP_NO_SUCH_OBJECT ? ErrorCode::kNotFound : ErrorCode::kUnavailable;
  return MakeError(code,
                   what + ": " + ldap_err2string(rc) + " (LDAP result " + std::to_string(rc) + ")");
}

// The system's CA bundle (Debian, Fedora, others), used when the hooks file names no ca_file.
const char* SystemCaFile() {
  for (const char* f : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                        "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"}) {
    if (::access(f, R_OK) == 0) return f;
  }
  return nullptr;
}

Result<LdapPtr> Connect(const LdapConfig& c) {
  // libldap reads ldap.conf, ~/.ldaprc and LDAP* / LDAPTLS_* variables into its global defaults
  // (TLS_REQCERT never would switch certificate checks off): not here. Set before the first
  // libldap call, which is when it reads them.
  ::setenv("LDAPNOINIT", "1", 1);
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, c.uri.c_str());
  if (rc != LDAP_SUCCESS) return LdapError("bad LDAP uri '" + c.uri + "'", rc);
  LdapPtr ld(raw);
  int version = LDAP_VERSION3;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval tv{static_cast<time_t>(c.timeout.count()), 0};
  ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv);
  // This handle's own TLS context, made from options set here only: the certificate must be
  // signed by ca_file (else the system's CAs) and name the host; nothing from the environment.
  int require = LDAP_OPT_X_TLS_DEMAND;
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
  const char* ca = c.ca_file.empty() ? SystemCaFile() : c.ca_file.c_str();
  if (ca != nullptr) ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, ca);
  int min_tls = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_tls);
  int zero = 0;
  rc = ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &zero);
  if (rc != LDAP_OPT_SUCCESS && (c.start_tls || c.uri.find("ldaps://") != std::string::npos)) {
    return LdapError("cannot set up TLS for " + c.uri + " (ca_file readable?)", rc);
  }
  if (c.start_tls) {
    rc = ldap_start_tls_s(ld.get(), nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return LdapError("StartTLS with " + c.uri + " failed", rc);
  }
  return ld;
}

Status SimpleBind(LDAP* ld, const std::string& dn, const std::string& password,
                  const std::string& who) {
  berval cred{password.size(), const_cast<char*>(password.data())};
  int rc = ldap_sasl_bind_s(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  if (rc == LDAP_INVALID_CREDENTIALS) {
    return MakeError(ErrorCode::kUnavailable,
                     who + " '" + dn + "' was refused: invalid credentials");
  }
  if (rc != LDAP_SUCCESS) return LdapError("bind as " + who + " '" + dn + "'", rc);
  return Status::Ok();
}

Result<LdapPtr> AdminSession(const LdapConfig& c) {
  MXIR_ASSIGN_OR_RETURN(LdapPtr ld, Connect(c));
  Status s = SimpleBind(ld.get(), c.bind_dn, c.bind_password, "admin bind DN");
  if (!s.ok()) {
    return s.error().WithContext("check bind_dn and its secret in the [ldap] section");
  }
  return ld;
}

// The entry's DN, and whether it exists.
Result<std::string> FindUserDn(LDAP* ld, const LdapConfig& c, const std::string& account) {
  std::string base, filter;
  int scope = LDAP_SCOPE_BASE;
  if (!c.user_dn_template.empty()) {
    base = c.user_dn_template;
    base.replace(base.find("%s"), 2, EscapeDnValue(account));
    filter = "(objectClass=*)";
  } else {
    berval in{account.size(), const_cast<char*>(account.data())};
    berval out{};
    if (ldap_bv2escaped_filter_value(&in, &out) != 0) {
      return MakeError(ErrorCode::kInternal, "cannot escape the account for an LDAP filter");
    }
    filter = c.user_filter;
    filter.replace(filter.find("%s"), 2, std::string(out.bv_val, out.bv_len));
    ber_memfree(out.bv_val);
    base = c.base_dn;
    scope = LDAP_SCOPE_SUBTREE;
  }
  LDAPMessage* res = nullptr;
  char* attrs[] = {const_cast<char*>(LDAP_NO_ATTRS), nullptr};
  timeval tv{static_cast<time_t>(c.timeout.count()), 0};
  int rc = ldap_search_ext_s(ld, base.c_str(), scope, filter.c_str(), attrs, 0, nullptr, nullptr,
                             &tv, 2, &res);
  std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> guard(res, ldap_msgfree);
  if (rc == LDAP_NO_SUCH_OBJECT) {
    return MakeError(ErrorCode::kNotFound,
                     "no LDAP entry for account '" + account + "' (" + base + ")");
  }
  if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)
    return LdapError("search for '" + account + "'", rc);
  int n = ldap_count_entries(ld, res);
  if (n == 0 || rc == LDAP_SIZELIMIT_EXCEEDED || n > 1) {
    if (n == 0) {
      return MakeError(ErrorCode::kNotFound, "no LDAP entry for account '" + account + "' (" +
                                                 filter + " under " + base + ")");
    }
    return MakeError(ErrorCode::kInvalidInput, "several LDAP entries match account '" + account +
                                                   "'; make user_filter match one entry");
  }
  char* dn = ldap_get_dn(ld, ldap_first_entry(ld, res));
  std::string out = dn != nullptr ? dn : "";
  ldap_memfree(dn);
  return out;
}

// The entry's pwdReset operational attribute ("" when absent).
Result<std::string> ReadPwdReset(LDAP* ld, const LdapConfig& c, const std::string& dn) {
  LDAPMessage* res = nullptr;
  char* attrs[] = {const_cast<char*>("pwdReset"), nullptr};
  timeval tv{static_cast<time_t>(c.timeout.count()), 0};
  int rc = ldap_search_ext_s(ld, dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, nullptr,
                             nullptr, &tv, 1, &res);
  std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> guard(res, ldap_msgfree);
  if (rc != LDAP_SUCCESS) return LdapError("read pwdReset of '" + dn + "'", rc);
  LDAPMessage* e = ldap_first_entry(ld, res);
  if (e == nullptr) return std::string();
  berval** vals = ldap_get_values_len(ld, e, "pwdReset");
  std::string v =
      (vals != nullptr && vals[0] != nullptr) ? std::string(vals[0]->bv_val, vals[0]->bv_len) : "";
  ldap_value_free_len(vals);
  return v;
}

}  // namespace

std::string EscapeDnValue(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                   c == ';' || c == '=' || (i == 0 && (c == '#' || c == ' ')) ||
                   (i + 1 == value.size() && c == ' ');
    if (special) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

LdapHook::~LdapHook() { SecureWipe(config_.bind_password); }

Status LdapHook::Preflight(const std::string& account, std::vector<HookStep>& steps) {
  MXIR_ASSIGN_OR_RETURN(LdapPtr ld, AdminSession(config_));
  MXIR_ASSIGN_OR_RETURN(std::string dn, FindUserDn(ld.get(), config_, account));
  steps.push_back({"find_account", true, dn});
  return Status::Ok();
}

Status LdapHook::ResetPassword(const std::string& account, const std::string& new_password,
                               bool force_change, std::vector<HookStep>& steps) {
  MXIR_ASSIGN_OR_RETURN(LdapPtr ld, AdminSession(config_));
  MXIR_ASSIGN_OR_RETURN(std::string dn, FindUserDn(ld.get(), config_, account));
  int rc;
  if (config_.use_exop) {
    berval user{dn.size(), dn.data()};
    berval pw{new_password.size(), const_cast<char*>(new_password.data())};
    berval generated{0, nullptr};  // filled only when the server generates a password
    rc = ldap_passwd_s(ld.get(), &user, nullptr, &pw, &generated, nullptr, nullptr);
    if (generated.bv_val != nullptr) ber_memfree(generated.bv_val);
  } else {
    MXIR_ASSIGN_OR_RETURN(std::string hash, HashPassword(new_password, CryptScheme::kSha512Crypt));
    std::string value = "{CRYPT}" + hash.substr(hash.find('}') + 1);
    SecureWipe(hash);
    berval bv{value.size(), value.data()};
    berval* bvals[] = {&bv, nullptr};
    LDAPMod mod{};
    mod.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
    mod.mod_type = const_cast<char*>("userPassword");
    mod.mod_bvalues = bvals;
    LDAPMod* mods[] = {&mod, nullptr};
    rc = ldap_modify_ext_s(ld.get(), dn.c_str(), mods, nullptr, nullptr);
    SecureWipe(value);
  }
  const char* how = config_.use_exop ? "Password Modify extended operation"
                                     : "userPassword replaced ({CRYPT} SHA-512)";
  if (rc != LDAP_SUCCESS) {
    steps.push_back({"set_password", false, std::string(how) + ": " + ldap_err2string(rc)});
    return LdapError("setting the password of '" + dn + "'", rc);
  }
  steps.push_back({"set_password", true, std::string(how) + " on " + dn});
  if (!force_change) return Status::Ok();
  MXIR_ASSIGN_OR_RETURN(std::string reset, ReadPwdReset(ld.get(), config_, dn));
  if (reset == "TRUE") {
    steps.push_back({"force_change", true, "pwdReset: TRUE (set by the ppolicy overlay)"});
    return Status::Ok();
  }
  std::string value = "TRUE";
  berval bv{value.size(), value.data()};
  berval* bvals[] = {&bv, nullptr};
  LDAPMod mod{};
  mod.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
  mod.mod_type = const_cast<char*>("pwdReset");
  mod.mod_bvalues = bvals;
  LDAPMod* mods[] = {&mod, nullptr};
  // pwdReset is operational: the Relax Rules control lets an administrator set it.
  LDAPControl relax{const_cast<char*>(LDAP_CONTROL_RELAX), {0, nullptr}, 1};
  LDAPControl* ctrls[] = {&relax, nullptr};
  rc = ldap_modify_ext_s(ld.get(), dn.c_str(), mods, ctrls, nullptr);
  if (rc != LDAP_SUCCESS) {
    // The password is changed (the part that cuts the attacker off); say what did not work.
    steps.push_back({"force_change", false,
                     std::string("could not set pwdReset: ") + ldap_err2string(rc) +
                         " (is the ppolicy overlay loaded, with pwdMustChange: TRUE?)"});
    return Status::Ok();
  }
  steps.push_back({"force_change", true, "pwdReset: TRUE set by mxir"});
  return Status::Ok();
}

Result<std::string> LdapHook::Verify(const std::string& account, const std::string& new_password) {
  MXIR_ASSIGN_OR_RETURN(LdapPtr admin, AdminSession(config_));
  MXIR_ASSIGN_OR_RETURN(std::string dn, FindUserDn(admin.get(), config_, account));
  MXIR_ASSIGN_OR_RETURN(std::string reset, ReadPwdReset(admin.get(), config_, dn));
  MXIR_ASSIGN_OR_RETURN(LdapPtr user, Connect(config_));
  Status bound = SimpleBind(user.get(), dn, new_password, "user");
  if (!bound.ok()) return bound.error().WithContext("the new password does not bind");
  return "a bind as " + dn +
         " with the new password succeeds; pwdReset: " + (reset.empty() ? "absent" : reset);
}

}  // namespace mxir::hooks
