#include "hooks/hook_factory.h"

#include <initializer_list>
#include <set>
#include <sstream>
#include <vector>

#include "core/ip_address.h"
#include "core/secret_fingerprint.h"
#include "hooks/cpanel_hook.h"
#include "hooks/dovecot_hook.h"
#include "hooks/exec_hook.h"
#include "hooks/google_hook.h"
#include "hooks/ldap_hook.h"
#include "hooks/m365_hook.h"
#include "hooks/postfix_containment.h"
#include "hooks/secret_ref.h"
#include "hooks/webhook_hook.h"

namespace mxir::hooks {
namespace {

class SectionReader {
 public:
  SectionReader(const IniFile::Section& s, std::string name) : s_(s), name_(std::move(name)) {}
  Result<std::string> Required(const std::string& key) const {
    used_.insert(key);
    auto it = s_.find(key);
    if (it == s_.end() || it->second.empty()) {
      return MakeError(ErrorCode::kUsage,
                       "hooks file section [" + name_ + "] needs '" + key + " = ...'");
    }
    return it->second;
  }
  std::string Optional(const std::string& key, const std::string& fallback) const {
    used_.insert(key);
    auto it = s_.find(key);
    return it == s_.end() ? fallback : it->second;
  }
  bool Has(const std::string& key) const {
    used_.insert(key);
    return s_.count(key) > 0;
  }
  // Marks keys read elsewhere (a secret reference) as known.
  void Known(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) used_.insert(k);
  }
  // A key nobody read is a typo or a setting this provider does not have: refuse it, naming the
  // nearest known key, instead of silently ignoring it.
  Status CheckUnknownKeys() const {
    for (const auto& [key, value] : s_) {
      if (used_.count(key)) continue;
      std::vector<std::string> known(used_.begin(), used_.end());
      std::string near = NearestWord(key, known);
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return MakeError(ErrorCode::kUsage,
                       "hooks file section [" + name_ + "]: unknown key '" + key + "'" +
                           (near.empty() ? std::string() : " (did you mean '" + near + "'?)") +
                           "; the keys of [" + name_ + "] are: " + list +
                           " (docs/mxir-reset.md, docs/examples/)");
    }
    return Status::Ok();
  }
  Result<int> Seconds(const std::string& key, int fallback) const {
    std::string v = Optional(key, "");
    if (v.empty()) return fallback;
    int n = 0;
    for (char c : v) {
      if (c < '0' || c > '9' || n > 100000) {
        return MakeError(ErrorCode::kUsage,
                         "[" + name_ + "] " + key + " must be a number of seconds");
      }
      n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 3600)
      return MakeError(ErrorCode::kUsage, "[" + name_ + "] " + key + " must be 1..3600");
    return n;
  }
  // `actions = reset_password, revoke_sessions, suspend_outbound`
  Result<unsigned> Actions() const {
    std::string v = Optional("actions", "reset_password");
    for (char& c : v) {
      if (c == ',') c = ' ';
    }
    std::istringstream in(v);
    unsigned caps = 0;
    std::string a;
    while (in >> a) {
      if (a == "reset_password") {
        caps |= kSetPassword | kForceChange;
      } else if (a == "revoke_sessions") {
        caps |= kRevokeSessions;
      } else if (a == "suspend_outbound") {
        caps |= kSuspendOutbound;
      } else {
        return MakeError(ErrorCode::kUsage,
                         "[" + name_ + "] actions: unknown action '" + a +
                             "' (reset_password, revoke_sessions, suspend_outbound)");
      }
    }
    return caps;
  }
  const std::string& name() const { return name_; }
  const IniFile::Section& section() const { return s_; }

 private:
  const IniFile::Section& s_;
  std::string name_;
  mutable std::set<std::string> used_{"timeout", "ca_file"};
};

std::vector<std::string> SplitWords(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// The bind password must not cross a network in clear text: plain ldap:// is accepted only with
// StartTLS or to a literal loopback address (127.0.0.0/8, ::1). Every URI of a list is checked
// (libldap falls over to the next one); a host name, even "localhost", is not trusted (a
// resolver or /etc/hosts decides where it goes), and ldap:/// (the host from ldap.conf) neither.
Status CheckLdapTransport(const std::string& uris, bool start_tls) {
  std::string list = uris;
  for (char& ch : list) {
    if (ch == ',') ch = ' ';
  }
  std::vector<std::string> each = SplitWords(list);
  if (each.empty()) return MakeError(ErrorCode::kUsage, "[ldap] needs uri = ldaps://HOST");
  for (const auto& uri : each) {
    if (uri.rfind("ldaps://", 0) == 0 || uri.rfind("ldapi://", 0) == 0) continue;
    if (uri.rfind("ldap://", 0) != 0) {
      return MakeError(ErrorCode::kUsage,
                       "[ldap] uri '" + uri + "' must start with ldap://, ldaps:// or ldapi://");
    }
    if (start_tls) continue;
    std::string host = uri.substr(7);
    host = host.substr(0, host.find_first_of("/?"));
    if (!host.empty() && host[0] == '[') {
      size_t close = host.find(']');
      host = close == std::string::npos ? std::string() : host.substr(1, close - 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    auto ip = IpAddress::Parse(host);
    if (ip && ip->IsLoopback()) continue;
    return MakeError(ErrorCode::kUsage,
                     "[ldap] " + uri +
                         " would send the bind password in clear text: use ldaps:// or "
                         "start_tls = yes (with ca_file for a private CA); only a literal "
                         "loopback address (127.0.0.1, [::1]) may use plain ldap://");
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& KnownProviders() {
  static const std::vector<std::string> kNames = {"ldap",   "dovecot", "m365",    "google",
                                                  "cpanel", "exec",    "webhook", "postfix"};
  return kNames;
}

Result<IniFile> LoadHooksFile(const std::string& path) {
  auto ini = IniFile::Load(path, /*require_private=*/true);
  if (!ini.ok()) return ini.error().WithContext("hooks file");
  return ini;
}

Result<LoadedHook> MakeProviderHook(const IniFile& hooks, const std::string& provider,
                                    const Clock& clock, HttpClient* http, CommandRunner* runner) {
  const IniFile::Section* section = hooks.Find(provider);
  if (section == nullptr) {
    bool known = false;
    for (const auto& k : KnownProviders()) known = known || k == provider;
    return MakeError(ErrorCode::kUsage,
                     known ? "the hooks file has no [" + provider + "] section"
                           : "unknown provider '" + provider +
                                 "' (ldap, dovecot, m365, google, cpanel, exec, webhook, postfix)");
  }
  SectionReader r(*section, provider);
  LoadedHook loaded;
  if (runner == nullptr) {
    loaded.runner_ = std::make_unique<SystemCommandRunner>();
    runner = loaded.runner_.get();
  }
  MXIR_ASSIGN_OR_RETURN(int timeout, r.Seconds("timeout", 20));
  if (http == nullptr) {
    HttpOptions opts;
    opts.ca_file = r.Optional("ca_file", "");
    opts.timeout = std::chrono::seconds(timeout);
    loaded.http_ = MakeCurlHttpClient(opts);
    http = loaded.http_.get();
  }
  RetryPolicy retry;
  if (provider == "dovecot") {
    DovecotConfig c;
    MXIR_ASSIGN_OR_RETURN(c.passwd_file, r.Required("passwd_file"));
    MXIR_ASSIGN_OR_RETURN(c.scheme, ParseCryptScheme(r.Optional("scheme", "SHA512-CRYPT")));
    c.doveadm = r.Optional("doveadm", "doveadm");
    c.doveadm_config = r.Optional("doveadm_config", "");
    c.auth_socket = r.Optional("auth_socket", "");
    loaded.hook_ = std::make_unique<DovecotHook>(std::move(c), *runner);
  } else if (provider == "ldap") {
    LdapConfig c;
    MXIR_ASSIGN_OR_RETURN(c.uri, r.Required("uri"));
    MXIR_ASSIGN_OR_RETURN(c.bind_dn, r.Required("bind_dn"));
    c.user_dn_template = r.Optional("user_dn_template", "");
    c.base_dn = r.Optional("base_dn", "");
    c.user_filter = r.Optional("user_filter", "(mail=%s)");
    if (c.user_dn_template.empty() == c.base_dn.empty()) {
      return MakeError(ErrorCode::kUsage,
                       "[ldap] needs exactly one of user_dn_template or base_dn");
    }
    if ((c.user_dn_template.empty() ? c.user_filter : c.user_dn_template).find("%s") ==
        std::string::npos) {
      return MakeError(ErrorCode::kUsage, "[ldap] user_dn_template / user_filter must contain %s");
    }
    std::string method = r.Optional("method", "exop");
    if (method != "exop" && method != "modify") {
      return MakeError(ErrorCode::kUsage, "[ldap] method must be exop or modify");
    }
    c.use_exop = method == "exop";
    c.ca_file = r.Optional("ca_file", "");
    c.start_tls = r.Optional("start_tls", "no") == "yes";
    MXIR_RETURN_IF_ERROR(CheckLdapTransport(c.uri, c.start_tls));
    c.timeout = std::chrono::seconds(timeout);
    MXIR_ASSIGN_OR_RETURN(c.bind_password, ReadSecretRef(*section, provider));
    loaded.hook_ = std::make_unique<LdapHook>(std::move(c));
  } else if (provider == "m365") {
    M365Config c;
    MXIR_ASSIGN_OR_RETURN(c.tenant, r.Required("tenant"));
    MXIR_ASSIGN_OR_RETURN(c.client_id, r.Required("client_id"));
    c.login_base = r.Optional("login_base", c.login_base);
    c.graph_base = r.Optional("graph_base", c.graph_base);
    c.retry = retry;
    MXIR_ASSIGN_OR_RETURN(c.client_secret, ReadSecretRef(*section, provider));
    loaded.hook_ = std::make_unique<M365Hook>(std::move(c), *http, clock);
  } else if (provider == "google") {
    GoogleConfig c;
    MXIR_ASSIGN_OR_RETURN(std::string key_path, r.Required("service_account_file"));
    MXIR_ASSIGN_OR_RETURN(std::string key_text,
                          ReadPrivateFile(key_path, "service account key file"));
    Status parsed = ParseServiceAccountKey(key_text, c);
    SecureWipe(key_text);
    MXIR_RETURN_IF_ERROR(parsed);
    MXIR_ASSIGN_OR_RETURN(c.admin_subject, r.Required("admin_subject"));
    c.token_uri = r.Optional("token_uri", c.token_uri);
    c.api_base = r.Optional("api_base", c.api_base);
    c.retry = retry;
    loaded.hook_ = std::make_unique<GoogleHook>(std::move(c), *http, clock);
  } else if (provider == "cpanel") {
    CpanelConfig c;
    MXIR_ASSIGN_OR_RETURN(c.base_url, r.Required("url"));
    MXIR_ASSIGN_OR_RETURN(c.user, r.Required("user"));
    c.retry = retry;
    MXIR_ASSIGN_OR_RETURN(c.token, ReadSecretRef(*section, provider));
    loaded.hook_ = std::make_unique<CpanelHook>(std::move(c), *http);
  } else if (provider == "exec") {
    ExecConfig c;
    MXIR_ASSIGN_OR_RETURN(std::string command, r.Required("command"));
    c.argv = SplitWords(command);
    MXIR_ASSIGN_OR_RETURN(c.capabilities, r.Actions());
    MXIR_ASSIGN_OR_RETURN(int t, r.Seconds("timeout", 60));
    c.timeout = std::chrono::seconds(t);
    loaded.hook_ = std::make_unique<ExecHook>(std::move(c), *runner);
  } else if (provider == "webhook") {
    WebhookConfig c;
    MXIR_ASSIGN_OR_RETURN(c.url, r.Required("url"));
    if (c.url.rfind("https://", 0) != 0) {
      return MakeError(ErrorCode::kUsage, "[webhook] url must be https:// (it carries passwords)");
    }
    MXIR_ASSIGN_OR_RETURN(c.capabilities, r.Actions());
    c.retry = retry;
    MXIR_ASSIGN_OR_RETURN(c.hmac_key, ReadSecretRef(*section, provider));
    loaded.hook_ = std::make_unique<WebhookHook>(std::move(c), *http, clock);
  } else if (provider == "postfix") {
    PostfixConfig c;
    MXIR_ASSIGN_OR_RETURN(c.access_map, r.Required("access_map"));
    c.config_dir = r.Optional("config_dir", c.config_dir);
    c.map_type = r.Optional("map_type", c.map_type);
    c.command_dir = r.Optional("command_dir", c.command_dir);
    c.reject_text = r.Optional("reject_text", c.reject_text);
    loaded.hook_ = std::make_unique<PostfixContainment>(std::move(c), *runner);
  } else {
    return MakeError(ErrorCode::kUsage, "unknown provider '" + provider + "'");
  }
  r.Known({"secret_file", "secret_env"});
  MXIR_RETURN_IF_ERROR(r.CheckUnknownKeys());
  return loaded;
}

}  // namespace mxir::hooks
