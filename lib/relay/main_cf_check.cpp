#include "relay/main_cf_check.h"

#include <map>
#include <sstream>

namespace mxir::relay {

std::vector<std::string> CheckMainCf(const std::string& main_cf) {
  std::map<std::string, std::string> p;
  std::istringstream in(main_cf);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) {
      p[last] += line;
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    while (!k.empty() && k.back() == ' ') k.pop_back();
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    p[k] = v;
    last = k;
  }
  std::vector<std::string> bad;
  auto want = [&](const std::string& k, const std::string& v) {
    auto it = p.find(k);
    if (it == p.end() || it->second != v) {
      bad.push_back(k + " must be '" + v + "' (is '" + (it == p.end() ? "<unset>" : it->second) +
                    "')");
    }
  };
  want("mynetworks", "127.0.0.1/32");
  want("smtpd_client_event_limit_exceptions", "");
  want("smtpd_forbid_bare_newline_exclusions", "");
  want("smtpd_relay_restrictions", "permit_sasl_authenticated, reject");
  want("mydestination", "");
  want("relay_domains", "");
  want("allow_percent_hack", "no");
  want("swap_bangpath", "no");
  want("strict_rfc821_envelopes", "yes");
  want("smtpd_forbid_unauth_pipelining", "yes");
  want("cleanup_replace_stray_cr_lf", "yes");
  want("smtpd_tls_auth_only", "yes");
  want("smtpd_tls_security_level", "encrypt");
  want("inet_protocols", "ipv4");
  want("smtpd_per_record_deadline", "yes");
  if (p.count("receive_override_options")) {
    bad.push_back("receive_override_options must not be set (it can turn off header checks)");
  }
  auto bn = p.count("smtpd_forbid_bare_newline") ? p["smtpd_forbid_bare_newline"] : "";
  if (bn != "reject" && bn != "normalize") {
    bad.push_back("smtpd_forbid_bare_newline must be reject or normalize");
  }
  for (const char* stage : {"smtpd_recipient_restrictions", "smtpd_data_restrictions",
                            "smtpd_end_of_data_restrictions"}) {
    auto v = p.count(stage) ? p[stage] : "";
    if (v.find("check_policy_service") == std::string::npos ||
        v.find("default_action = 451 4.3.5") == std::string::npos) {
      bad.push_back(std::string(stage) + " must call the policy service with default_action=451");
    }
    for (const char* opener :
         {"permit_mynetworks", "permit_sasl_authenticated", "permit,", "permit_auth_destination"}) {
      if (v.find(opener) != std::string::npos) {
        bad.push_back(std::string(stage) + " must not contain " + opener +
                      " (it would skip the policy service)");
      }
    }
  }
  if (p.count("smtpd_milters") && p["milter_default_action"] != "tempfail") {
    bad.push_back("milter_default_action must be tempfail when a milter signs");
  }
  return bad;
}

}  // namespace mxir::relay
