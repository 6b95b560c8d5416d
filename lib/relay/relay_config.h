// RelayConfig: RELAY.ini (spec/cli.md "relay"), the one file that describes a temporary clean
// relay: where it listens, which sender domains are the company's, the guard-rail limits, what to
// do with accounts under investigation, the upstream, DKIM and the SASL logins. Secrets are never
// in the file: each login names a 0600 secret file (`name = secret_file:PATH`).
//
// A login whose name contains '@' is a person's login: it may send only as that address. A login
// without '@' is a mail server's relay account (the company MTA): it may send as any address in
// `domains`, and the guard rails count per sender address.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ini_file.h"
#include "core/status.h"

namespace mxir::relay {

enum class InvestigationMode { kHold, kReject, kDefer };
const char* InvestigationModeName(InvestigationMode m);

struct Login {
  std::string name;
  std::string secret_file;
  bool per_user() const { return name.find('@') != std::string::npos; }
};

struct RelayConfig {
  // [relay]
  std::string listen_ip;             // the clean IP: listeners and the outbound source address
  std::string hostname;              // myhostname / HELO: the PTR name of listen_ip
  std::vector<std::string> domains;  // the company's sender domains (lower case)
  int submission_port = 587;         // STARTTLS submission; 0 = off
  int submissions_port = 465;        // implicit-TLS submission; 0 = off
  std::string instance_dir = "/var/lib/mxir-relay";  // queue/, data/, logs, counters, dovecot/
  std::string tls_cert_file, tls_key_file;
  int max_recipients_per_message = 50;
  int max_recipients_per_hour = 200;
  int max_messages_per_hour = 100;
  int max_recipients_per_hour_per_client = 1000;
  int max_recipient_domains_per_hour = 100;
  int max_null_sender_per_hour = 20;
  int64_t window_seconds = 3600;
  int64_t reservation_ttl_seconds = 600;
  InvestigationMode under_investigation = InvestigationMode::kHold;
  std::vector<std::string> investigate;  // lower case addresses or logins
  std::string upstream;                  // optional smarthost "HOST:PORT"
  std::string upstream_tls = "encrypt";  // encrypt | verify | may | none (with upstream)
  std::string dkim_selector, dkim_key_file, dkim_milter = "inet:127.0.0.1:8891";
  std::string policy_listen;  // unix:PATH or inet:HOST:PORT; default unix in the queue's private/
  bool dns = true;            // false only with an upstream: no DNS lookups at all (labs, tests)
  std::string bare_newline = "reject";  // reject | normalize
  std::string queue_lifetime = "1d";
  // [logins]
  std::vector<Login> logins;

  std::string queue_directory() const { return instance_dir + "/queue"; }
  std::string data_directory() const { return instance_dir + "/data"; }
  std::string counters_path() const { return instance_dir + "/policy-counters.sqlite"; }
  // The policy listener as the policy service sees it, and as Postfix's smtpd names it.
  std::string policy_listen_address() const;
  std::string policy_postfix_address() const;
  bool IsCompanyDomain(const std::string& domain_lower) const;
};

Result<RelayConfig> ParseRelayConfig(const IniFile& ini, const std::string& name_for_errors);
Result<RelayConfig> LoadRelayConfig(const std::string& path);

// Lower-cases ASCII.
std::string Lower(std::string s);
// The domain of an address (after the last '@'), lower case; empty when there is none.
std::string DomainOfAddress(const std::string& address);

}  // namespace mxir::relay
