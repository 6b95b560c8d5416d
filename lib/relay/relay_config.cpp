#include "relay/relay_config.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <tuple>

#include "core/ip_address.h"
#include "core/timestamp.h"

namespace mxir::relay {

const char* InvestigationModeName(InvestigationMode m) {
  switch (m) {
    case InvestigationMode::kHold:
      return "hold";
    case InvestigationMode::kReject:
      return "reject";
    case InvestigationMode::kDefer:
      return "defer";
  }
  return "hold";
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string DomainOfAddress(const std::string& address) {
  auto at = address.rfind('@');
  if (at == std::string::npos) return "";
  return Lower(address.substr(at + 1));
}

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      cur = Trim(cur);
      if (!cur.empty()) out.push_back(Lower(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

// Characters a value may hold when it is written into main.cf/master.cf: no newline, no control
// characters, no braces or commas that would change the meaning of a Postfix list.
bool SafeConfigText(const std::string& s, bool allow_space) {
  for (unsigned char c : s) {
    if (c < 0x21 || c == 0x7f || c == '{' || c == '}' || c == ',' || c == '$' || c == '#') {
      if (!(allow_space && c == ' ')) return false;
    }
  }
  return true;
}

bool ValidDomain(const std::string& d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  for (unsigned char c : d) {
    if (!(std::isalnum(c) || c == '-' || c == '.')) return false;
  }
  return d.find('.') != std::string::npos && d.find("..") == std::string::npos;
}

Error Bad(const std::string& file, const std::string& what) {
  return MakeError(ErrorCode::kInvalidInput, file + ": " + what);
}

Result<int64_t> GetInt(const IniFile& ini, const std::string& file, const std::string& key,
                       int64_t fallback, int64_t min, int64_t max) {
  auto v = ini.Get("relay", key);
  if (!v || v->empty()) return fallback;
  try {
    size_t pos = 0;
    long long n = std::stoll(*v, &pos);
    if (pos != v->size() || n < min || n > max) throw std::out_of_range("range");
    return static_cast<int64_t>(n);
  } catch (...) {
    return Bad(file, "[relay] " + key + " = '" + *v + "' must be a whole number from " +
                         std::to_string(min) + " to " + std::to_string(max));
  }
}

}  // namespace

bool RelayConfig::IsCompanyDomain(const std::string& domain_lower) const {
  return std::find(domains.begin(), domains.end(), domain_lower) != domains.end();
}

std::string RelayConfig::policy_listen_address() const {
  if (!policy_listen.empty()) return policy_listen;
  return "unix:" + queue_directory() + "/private/mxir-policy";
}

std::string RelayConfig::policy_postfix_address() const {
  if (policy_listen.empty()) return "unix:private/mxir-policy";
  return policy_listen;
}

Result<RelayConfig> ParseRelayConfig(const IniFile& ini, const std::string& file) {
  if (!ini.HasSection("relay")) {
    return Bad(file, "no [relay] section (see docs/mxir-relay.md for an example RELAY.ini)");
  }
  static const std::set<std::string> kKnown = {"listen_ip",
                                               "hostname",
                                               "domains",
                                               "submission_port",
                                               "submissions_port",
                                               "instance_dir",
                                               "tls_cert_file",
                                               "tls_key_file",
                                               "max_recipients_per_message",
                                               "max_recipients_per_hour",
                                               "max_messages_per_hour",
                                               "max_recipients_per_hour_per_client",
                                               "max_recipient_domains_per_hour",
                                               "max_null_sender_per_hour",
                                               "window",
                                               "reservation_ttl",
                                               "under_investigation",
                                               "investigate",
                                               "upstream",
                                               "upstream_tls",
                                               "dkim_selector",
                                               "dkim_key_file",
                                               "dkim_milter",
                                               "policy_listen",
                                               "dns",
                                               "bare_newline",
                                               "queue_lifetime"};
  for (const auto& [k, v] : *ini.Find("relay")) {
    if (!kKnown.count(k)) {
      return Bad(file, "[relay] has an unknown key '" + k +
                           "' (a typo? see docs/mxir-relay.md for the keys)");
    }
  }
  RelayConfig c;
  c.listen_ip = Trim(ini.GetOr("relay", "listen_ip", ""));
  auto ip = IpAddress::Parse(c.listen_ip);
  if (!ip || !ip->is_v4()) {
    return Bad(file, "[relay] listen_ip = '" + c.listen_ip +
                         "' must be the clean IPv4 address the relay sends from");
  }
  c.hostname = Lower(Trim(ini.GetOr("relay", "hostname", "")));
  if (!ValidDomain(c.hostname)) {
    return Bad(file, "[relay] hostname = '" + c.hostname +
                         "' must be a fully qualified name (the PTR name of listen_ip)");
  }
  c.domains = SplitList(ini.GetOr("relay", "domains", ""));
  if (c.domains.empty()) return Bad(file, "[relay] domains: name the company's sender domains");
  for (const auto& d : c.domains) {
    if (!ValidDomain(d)) return Bad(file, "[relay] domains: '" + d + "' is not a domain name");
  }
  MXIR_ASSIGN_OR_RETURN(auto sp, GetInt(ini, file, "submission_port", 587, 0, 65535));
  MXIR_ASSIGN_OR_RETURN(auto ssp, GetInt(ini, file, "submissions_port", 465, 0, 65535));
  c.submission_port = static_cast<int>(sp);
  c.submissions_port = static_cast<int>(ssp);
  if (c.submission_port == 0 && c.submissions_port == 0) {
    return Bad(file, "[relay] submission_port and submissions_port are both 0: nothing listens");
  }
  c.instance_dir = Trim(ini.GetOr("relay", "instance_dir", c.instance_dir));
  if (c.instance_dir.empty() || c.instance_dir[0] != '/' ||
      !SafeConfigText(c.instance_dir, false)) {
    return Bad(file, "[relay] instance_dir must be an absolute path without spaces or ,{}$#");
  }
  while (c.instance_dir.size() > 1 && c.instance_dir.back() == '/') c.instance_dir.pop_back();
  if (c.instance_dir == "/var/spool/postfix" || c.instance_dir == "/etc/postfix" ||
      c.instance_dir == "/var/lib/postfix") {
    return Bad(file, "[relay] instance_dir must not be the system Postfix's own directory");
  }
  c.tls_cert_file = Trim(ini.GetOr("relay", "tls_cert_file", ""));
  c.tls_key_file = Trim(ini.GetOr("relay", "tls_key_file", ""));
  if (c.tls_cert_file.empty() || c.tls_key_file.empty()) {
    return Bad(file,
               "[relay] tls_cert_file and tls_key_file are required: submission is TLS only "
               "(a Let's Encrypt certificate for the hostname, or any certificate the company MTA "
               "accepts)");
  }
  if (!SafeConfigText(c.tls_cert_file, false) || !SafeConfigText(c.tls_key_file, false)) {
    return Bad(file, "[relay] tls_cert_file/tls_key_file: paths without spaces or ,{}$#");
  }
  struct Lim {
    const char* key;
    int* dst;
    int64_t def;
  } lims[] = {
      {"max_recipients_per_message", &c.max_recipients_per_message, 50},
      {"max_recipients_per_hour", &c.max_recipients_per_hour, 200},
      {"max_messages_per_hour", &c.max_messages_per_hour, 100},
      {"max_recipients_per_hour_per_client", &c.max_recipients_per_hour_per_client, 1000},
      {"max_recipient_domains_per_hour", &c.max_recipient_domains_per_hour, 100},
      {"max_null_sender_per_hour", &c.max_null_sender_per_hour, 20},
  };
  for (auto& l : lims) {
    MXIR_ASSIGN_OR_RETURN(auto v, GetInt(ini, file, l.key, l.def, 0, 10000000));
    *l.dst = static_cast<int>(v);
  }
  if (c.max_recipients_per_message < 1) {
    return Bad(file, "[relay] max_recipients_per_message must be at least 1");
  }
  for (auto [key, dst, def] :
       {std::tuple{"window", &c.window_seconds, int64_t{3600}},
        std::tuple{"reservation_ttl", &c.reservation_ttl_seconds, int64_t{600}}}) {
    auto v = ini.Get("relay", key);
    if (!v || v->empty()) {
      *dst = def;
      continue;
    }
    auto d = ParseDuration(*v);
    if (!d.ok() || *d < 1000000) {
      return Bad(file, std::string("[relay] ") + key + " = '" + *v +
                           "' must be a duration of at least 1s (e.g. 1h, 10m)");
    }
    *dst = *d / 1000000;
  }
  auto mode = Lower(Trim(ini.GetOr("relay", "under_investigation", "hold")));
  if (mode == "hold") {
    c.under_investigation = InvestigationMode::kHold;
  } else if (mode == "reject") {
    c.under_investigation = InvestigationMode::kReject;
  } else if (mode == "defer") {
    c.under_investigation = InvestigationMode::kDefer;
  } else {
    return Bad(file, "[relay] under_investigation = '" + mode + "' must be hold, reject or defer");
  }
  c.investigate = SplitList(ini.GetOr("relay", "investigate", ""));
  c.upstream = Trim(ini.GetOr("relay", "upstream", ""));
  if (!c.upstream.empty()) {
    auto colon = c.upstream.rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < c.upstream.size() &&
              SafeConfigText(c.upstream, false) && c.upstream.find('[') == std::string::npos;
    if (ok) {
      for (size_t i = colon + 1; i < c.upstream.size(); ++i)
        ok = ok && std::isdigit(static_cast<unsigned char>(c.upstream[i]));
    }
    if (!ok) return Bad(file, "[relay] upstream = '" + c.upstream + "' must be HOST:PORT");
    // A smarthost that is this relay itself: every message would loop until its hop count runs
    // out (relay-security.md 1.11).
    std::string host = Lower(c.upstream.substr(0, colon));
    int port = std::atoi(c.upstream.c_str() + colon + 1);
    bool self_host = host == c.listen_ip || host == c.hostname;
    if (self_host && (port == c.submission_port || port == c.submissions_port || port == 25)) {
      return Bad(file, "[relay] upstream = '" + c.upstream +
                           "' is this relay itself (listen_ip/hostname and one of its ports): "
                           "mail would loop back to it; name the provider's smarthost");
    }
  }
  c.upstream_tls = Lower(Trim(ini.GetOr("relay", "upstream_tls", "encrypt")));
  if (c.upstream_tls != "encrypt" && c.upstream_tls != "verify" && c.upstream_tls != "may" &&
      c.upstream_tls != "none") {
    return Bad(file, "[relay] upstream_tls must be encrypt, verify, may or none");
  }
  c.dkim_selector = Trim(ini.GetOr("relay", "dkim_selector", ""));
  c.dkim_key_file = Trim(ini.GetOr("relay", "dkim_key_file", ""));
  c.dkim_milter = Trim(ini.GetOr("relay", "dkim_milter", c.dkim_milter));
  if (c.dkim_selector.empty() != c.dkim_key_file.empty()) {
    return Bad(file, "[relay] dkim_selector and dkim_key_file go together: set both or neither");
  }
  if (!SafeConfigText(c.dkim_selector, false) || !SafeConfigText(c.dkim_key_file, false) ||
      !SafeConfigText(c.dkim_milter, false)) {
    return Bad(file, "[relay] dkim_*: values without spaces or ,{}$#");
  }
  c.policy_listen = Trim(ini.GetOr("relay", "policy_listen", ""));
  if (!c.policy_listen.empty() &&
      ((c.policy_listen.rfind("unix:/", 0) != 0 && c.policy_listen.rfind("inet:", 0) != 0) ||
       !SafeConfigText(c.policy_listen, false))) {
    return Bad(file, "[relay] policy_listen must be unix:/ABSOLUTE/PATH or inet:HOST:PORT");
  }
  auto dns = Lower(Trim(ini.GetOr("relay", "dns", "yes")));
  if (dns != "yes" && dns != "no") return Bad(file, "[relay] dns must be yes or no");
  c.dns = dns == "yes";
  if (!c.dns && c.upstream.empty()) {
    return Bad(file, "[relay] dns = no needs an upstream (without DNS there is no MX to send to)");
  }
  c.bare_newline = Lower(Trim(ini.GetOr("relay", "bare_newline", "reject")));
  if (c.bare_newline != "reject" && c.bare_newline != "normalize") {
    return Bad(file, "[relay] bare_newline must be reject or normalize");
  }
  c.queue_lifetime = Trim(ini.GetOr("relay", "queue_lifetime", "1d"));
  {
    auto d = ParseDuration(c.queue_lifetime);
    if (!d.ok() || *d < 60 * 1000000LL) {
      return Bad(file, "[relay] queue_lifetime must be a duration of at least 1m (e.g. 1d, 12h)");
    }
    c.queue_lifetime = std::to_string(*d / 1000000) + "s";
  }
  if (const auto* logins = ini.Find("logins")) {
    for (const auto& [name, ref] : *logins) {
      if (name.empty() || !SafeConfigText(name, false) || name.find(':') != std::string::npos) {
        return Bad(file, "[logins] '" + name + "' is not a usable login name");
      }
      if (ref.rfind("secret_file:", 0) != 0 || ref.size() <= 12) {
        return Bad(file, "[logins] " + name +
                             " must be 'secret_file:/PATH' (a 0600 file with the password)");
      }
      Login l;
      l.name = Lower(name);
      l.secret_file = Trim(ref.substr(12));
      if (l.per_user() && !c.IsCompanyDomain(DomainOfAddress(l.name))) {
        return Bad(file, "[logins] " + name + " is not an address in the company's domains");
      }
      c.logins.push_back(std::move(l));
    }
  }
  if (c.logins.empty()) {
    return Bad(file, "[logins]: add at least one login (relay = secret_file:/etc/mxir/relay.pw)");
  }
  return c;
}

Result<RelayConfig> LoadRelayConfig(const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(auto ini, IniFile::Load(path, /*require_private=*/false));
  return ParseRelayConfig(ini, path);
}

}  // namespace mxir::relay
