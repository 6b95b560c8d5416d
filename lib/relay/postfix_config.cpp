#include "relay/postfix_config.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

namespace mxir::relay {

namespace {

// Big mailbox providers that throttle or block a cold IP that sends too much too fast: each gets
// its own transport with a low concurrency and a delay between deliveries.
struct ColdProvider {
  const char* transport;
  std::vector<const char*> domains;
};
const std::vector<ColdProvider>& ColdProviders() {
  static const std::vector<ColdProvider> k = {
      {"coldgmail", {"gmail.com", "googlemail.com"}},
      {"coldmsft", {"outlook.com", "hotmail.com", "live.com", "msn.com"}},
      {"coldyahoo", {"yahoo.com", "aol.com", "ymail.com"}},
  };
  return k;
}

std::string PolicyCheck(const RelayConfig& c) {
  return "check_policy_service { " + c.policy_postfix_address() +
         ", timeout=10s, max_idle=300s, try_limit=2, "
         "{ default_action = 451 4.3.5 mxir relay policy service unavailable } }";
}

std::string MainCf(const RelayConfig& c, const std::string& dir) {
  std::ostringstream o;
  const std::string& I = c.instance_dir;
  o << "# mxir relay: a private Postfix instance for the temporary clean relay path.\n"
       "# Written by 'mxir relay config'; do not edit by hand, change RELAY.ini and regenerate.\n"
       "# Start it with 'mxir relay up' (postfix -c "
    << dir
    << " start), never as the system's\n"
       "# Postfix. Each setting's reason: docs/mxir-relay.md.\n"
       "compatibility_level = 3.6\n"
       "\n# --- A private instance: its own queue, data and log, never /etc/postfix's.\n"
    << "queue_directory = " << I << "/queue\n"
    << "data_directory = " << I << "/data\n"
    << "mail_owner = postfix\n"
       "setgid_group = postdrop\n"
    << "maillog_file = " << I << "/postfix.log\n"
    << "maillog_file_prefixes = " << I << "\n"
    << "\n# --- Identity and egress: the clean IP, its PTR name, IPv4 only.\n"
    << "myhostname = " << c.hostname << "\n"
    << "myorigin = $myhostname\n"
       "smtp_helo_name = $myhostname\n"
       "smtpd_banner = $myhostname ESMTP\n"
    << "inet_interfaces = " << c.listen_ip << "\n"
    << "inet_protocols = ipv4\n"
    << "smtp_bind_address = " << c.listen_ip << "\n"
    << "\n# --- Nothing local: no local domains, no local delivery, no aliases, no biff.\n"
       "mydestination =\n"
       "relay_domains =\n"
       "local_recipient_maps =\n"
       "local_transport = error:5.1.1 this relay does not deliver mail locally\n"
       "alias_maps =\n"
       "alias_database =\n"
       "biff = no\n"
       "mynetworks = 127.0.0.1/32\n"
       "mynetworks_style = host\n"
       "smtpd_client_event_limit_exceptions =\n"
       "disable_vrfy_command = yes\n"
       "smtpd_helo_required = yes\n"
    << "\n# --- Relay control: only authenticated clients relay; nothing else, ever.\n"
       "smtpd_relay_restrictions = permit_sasl_authenticated, reject\n"
       "smtpd_sasl_auth_enable = yes\n"
       "smtpd_sasl_type = dovecot\n"
       "smtpd_sasl_path = private/auth\n"
       "smtpd_sasl_security_options = noanonymous, noplaintext\n"
       "smtpd_sasl_tls_security_options = noanonymous\n"
       "smtpd_tls_auth_only = yes\n"
       "broken_sasl_auth_clients = no\n"
       "smtpd_sasl_authenticated_header = no\n"
    << "\n# --- Senders: a login sends only as the addresses it owns (sender_logins).\n"
    << "smtpd_sender_login_maps = texthash:" << dir << "/sender_logins\n"
    << "smtpd_sender_restrictions = reject_non_fqdn_sender, reject_sender_login_mismatch\n"
    << "\n# --- The mxir policy service at RCPT, DATA and END-OF-MESSAGE; fail closed (451).\n"
       "# It comes after relay control (smtpd_relay_restrictions), never before.\n"
    << "smtpd_recipient_restrictions = reject_non_fqdn_recipient, "
    << (c.dns ? "reject_unknown_recipient_domain, " : "") << PolicyCheck(c) << "\n"
    << "smtpd_data_restrictions = reject_unauth_pipelining, " << PolicyCheck(c) << "\n"
    << "smtpd_end_of_data_restrictions = " << PolicyCheck(c) << "\n"
    << "smtpd_policy_service_request_limit = 0\n"
    << "\n# --- Limits: the per-message cap, and a coarse per-IP backstop behind the policy.\n"
    << "smtpd_recipient_limit = " << c.max_recipients_per_message << "\n"
    << "smtpd_recipient_overshoot_limit = " << c.max_recipients_per_message << "\n"
    << "anvil_rate_time_unit = 3600s\n"
    << "smtpd_client_recipient_rate_limit = "
    << std::max(1, c.max_recipients_per_hour_per_client * 2) << "\n"
    << "smtpd_client_connection_count_limit = 20\n"
       "# AUTH guessing from one IP: at most 100 AUTH commands an hour, 10 errors a session (the\n"
       "# 6th and later answered 1s late), and the auth Dovecot delays each failure.\n"
       "smtpd_client_auth_rate_limit = 100\n"
       "smtpd_hard_error_limit = 10\n"
       "smtpd_soft_error_limit = 5\n"
       "smtpd_error_sleep_time = 1s\n"
       "# Slow clients (slowloris): the timeout is a deadline for a whole command or line, not\n"
       "# renewed by every byte of a trickle.\n"
       "smtpd_per_record_deadline = yes\n"
       "smtpd_timeout = 60s\n"
       "message_size_limit = 26214400\n"
    << "\n# --- Address hygiene: no percent hack, no bang paths, strict envelopes.\n"
       "allow_percent_hack = no\n"
       "swap_bangpath = no\n"
       "strict_rfc821_envelopes = yes\n"
       "allow_untrusted_routing = no\n"
       "resolve_dequoted_address = yes\n"
    << "\n# --- SMTP smuggling: explicit, because Postfix 3.7 (Debian 12) does not default them.\n"
    << "smtpd_forbid_bare_newline = " << c.bare_newline << "\n"
    << "smtpd_forbid_bare_newline_exclusions =\n"
       "smtpd_forbid_bare_newline_reject_code = 550\n"
       "smtpd_forbid_unauth_pipelining = yes\n"
       "cleanup_replace_stray_cr_lf = yes\n"
       "smtpd_discard_ehlo_keywords = chunking, silent-discard\n"
    << "\n# --- Inbound TLS: submission is TLS only, TLS 1.2 or newer.\n"
    << "smtpd_tls_cert_file = " << c.tls_cert_file << "\n"
    << "smtpd_tls_key_file = " << c.tls_key_file << "\n"
    << "smtpd_tls_security_level = encrypt\n"
       "smtpd_tls_protocols = >=TLSv1.2\n"
       "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"
       "smtpd_tls_loglevel = 1\n"
       "smtpd_tls_received_header = yes\n"
    << "\n# --- Outbound.\n";
  if (!c.upstream.empty()) {
    auto colon = c.upstream.rfind(':');
    o << "relayhost = [" << c.upstream.substr(0, colon) << "]:" << c.upstream.substr(colon + 1)
      << "\n"
      << "smtp_tls_security_level = " << c.upstream_tls << "\n";
    if (c.upstream_tls == "none" || c.upstream_tls == "may") {
      o << "# WARNING: upstream_tls = " << c.upstream_tls
        << ": mail to the smarthost may travel in clear text.\n";
    }
  } else {
    o << "relayhost =\n"
         "smtp_tls_security_level = dane\n"
         "smtp_dns_support_level = dnssec\n";
  }
  o << "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"
       "smtp_tls_mandatory_protocols = >=TLSv1.2\n"
       "smtp_tls_loglevel = 1\n";
  if (!c.dns) {
    o << "# dns = no (with an upstream): no DNS lookups at all.\n"
         "smtp_dns_support_level = disabled\n"
         "smtp_host_lookup = native\n"
         "smtpd_peername_lookup = no\n";
  }
  o << "\n# --- Queue: short lifetimes for an incident; bounce rather than wait five days.\n"
    << "maximal_queue_lifetime = " << c.queue_lifetime << "\n"
    << "bounce_queue_lifetime = " << c.queue_lifetime << "\n"
    << "delay_warning_time = 0h\n";
  if (c.upstream.empty()) {
    o << "\n# --- Cold-IP shaping: few connections and a pause per big provider.\n"
      << "transport_maps = texthash:" << dir << "/transport\n"
      << "default_destination_concurrency_limit = 5\n";
    for (const auto& p : ColdProviders()) {
      o << p.transport << "_destination_concurrency_limit = 2\n"
        << p.transport << "_destination_rate_delay = 2s\n"
        << p.transport << "_destination_recipient_limit = 20\n";
    }
  }
  o << "\n# --- DKIM: OpenDKIM signs as a milter; if it is down, mail waits (tempfail).\n";
  if (!c.dkim_selector.empty()) {
    o << "smtpd_milters = " << c.dkim_milter << "\n"
      << "non_smtpd_milters = $smtpd_milters\n"
      << "milter_default_action = tempfail\n"
      << "milter_protocol = 6\n";
  } else {
    o << "# (no dkim_selector in RELAY.ini: mail is not signed here)\n"
         "milter_default_action = tempfail\n";
  }
  return o.str();
}

std::string MasterCf(const RelayConfig& c) {
  std::ostringstream o;
  o << "# mxir relay: the services of the private instance. No port 25 listener (this relay is\n"
       "# never an MX), no local delivery, no pickup from a local sendmail.\n"
       "# service type  private unpriv  chroot  wakeup  maxproc command + args\n";
  if (c.submission_port) {
    o << c.listen_ip << ":" << c.submission_port << " inet n - n - - smtpd\n"
      << "  -o syslog_name=mxir-relay/submission\n"
         "  -o smtpd_tls_security_level=encrypt\n"
         "  -o smtpd_tls_auth_only=yes\n"
         "  -o smtpd_sasl_auth_enable=yes\n";
  }
  if (c.submissions_port) {
    o << c.listen_ip << ":" << c.submissions_port << " inet n - n - - smtpd\n"
      << "  -o syslog_name=mxir-relay/submissions\n"
         "  -o smtpd_tls_wrappermode=yes\n"
         "  -o smtpd_tls_security_level=encrypt\n"
         "  -o smtpd_tls_auth_only=yes\n"
         "  -o smtpd_sasl_auth_enable=yes\n";
  }
  o << "cleanup   unix  n       -       n       -       0       cleanup\n"
       "qmgr      unix  n       -       n       300     1       qmgr\n"
       "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
       "rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
       "bounce    unix  -       -       n       -       0       bounce\n"
       "defer     unix  -       -       n       -       0       bounce\n"
       "trace     unix  -       -       n       -       0       bounce\n"
       "verify    unix  -       -       n       -       1       verify\n"
       "flush     unix  n       -       n       1000?   0       flush\n"
       "proxymap  unix  -       -       n       -       -       proxymap\n"
       "proxywrite unix -       -       n       -       1       proxymap\n"
       "smtp      unix  -       -       n       -       -       smtp\n"
       "relay     unix  -       -       n       -       -       smtp\n"
       "showq     unix  n       -       n       -       -       showq\n"
       "error     unix  -       -       n       -       -       error\n"
       "retry     unix  -       -       n       -       -       error\n"
       "discard   unix  -       -       n       -       -       discard\n"
       "anvil     unix  -       -       n       -       1       anvil\n"
       "scache    unix  -       -       n       -       1       scache\n"
       "postlog   unix-dgram n  -       n       -       1       postlogd\n";
  if (c.upstream.empty()) {
    for (const auto& p : ColdProviders()) {
      o << p.transport << " unix  -       -       n       -       -       smtp\n";
    }
  }
  return o.str();
}

std::string SenderLogins(const RelayConfig& c) {
  std::ostringstream o;
  o << "# Who may send as whom (smtpd_sender_login_maps). A person's login owns its address; a\n"
       "# mail server's relay login owns the company's domains.\n";
  std::vector<std::string> relays;
  for (const auto& l : c.logins) {
    if (l.per_user()) {
      o << l.name << " " << l.name << "\n";
    } else {
      relays.push_back(l.name);
    }
  }
  if (!relays.empty()) {
    std::string owners;
    for (const auto& r : relays) owners += (owners.empty() ? "" : ",") + r;
    for (const auto& d : c.domains) o << "@" << d << " " << owners << "\n";
  }
  return o.str();
}

std::string TransportMap() {
  std::ostringstream o;
  o << "# Cold-IP shaping: each big provider through its own throttled transport.\n";
  for (const auto& p : ColdProviders()) {
    for (const auto* d : p.domains) o << d << " " << p.transport << ":\n";
  }
  return o.str();
}

std::string DovecotConf(const RelayConfig& c, const std::string& dir) {
  const std::string& I = c.instance_dir;
  std::ostringstream o;
  o << "# mxir relay: an auth-only private Dovecot that checks the relay's SASL logins for\n"
       "# Postfix (socket in the instance's queue). Not the system's Dovecot; no mail access.\n"
    << "instance_name = mxir-relay-" <<
      [&] {
        uint32_t h = 2166136261u;  // FNV-1a: the same name for the same instance_dir, always
        for (unsigned char ch : I) h = (h ^ ch) * 16777619u;
        return h % 1000000;
      }()
    << "\n"
    << "base_dir = " << I << "/dovecot/run\n"
    << "state_dir = " << I << "/dovecot/state\n"
    << "log_path = " << I << "/dovecot.log\n"
    << "protocols = none\n"
       "ssl = no\n"
       "# Postfix offers AUTH only inside TLS (smtpd_tls_auth_only = yes).\n"
       "disable_plaintext_auth = no\n"
       "auth_mechanisms = plain login\n"
       "auth_verbose = yes\n"
       "auth_verbose_passwords = no\n"
       "default_internal_user = dovecot\n"
       "default_login_user = dovenull\n"
       "passdb {\n"
       "  driver = passwd-file\n"
    << "  args = scheme=SHA512-CRYPT username_format=%Lu " << dir << "/sasl-passwd\n"
    << "}\n"
       "userdb {\n"
       "  driver = static\n"
       "  args = uid=nobody gid=nogroup allow_all_users=yes\n"
       "}\n"
       "service auth {\n"
    << "  unix_listener " << I << "/queue/private/auth {\n"
    << "    mode = 0660\n"
       "    user = postfix\n"
       "    group = postfix\n"
       "  }\n"
       "}\n";
  return o.str();
}

std::string OpenDkimConf(const RelayConfig& c) {
  std::ostringstream o;
  o << "# OpenDKIM for the relay (run: opendkim -x THIS_FILE). Signs the company's domains.\n"
    << "Mode s\n"
    << "Domain " <<
      [&] {
        std::string s;
        for (const auto& d : c.domains) s += (s.empty() ? "" : ",") + d;
        return s;
      }()
    << "\nSelector " << c.dkim_selector << "\nKeyFile " << c.dkim_key_file << "\n";
  auto sock = c.dkim_milter;
  if (sock.rfind("inet:", 0) == 0) {
    auto rest = sock.substr(5);
    auto colon = rest.rfind(':');
    if (colon != std::string::npos)
      sock = "inet:" + rest.substr(colon + 1) + "@" + rest.substr(0, colon);
  }
  o << "Socket " << sock << "\n"
    << "# Started and stopped with the relay (mxir relay up/down); drops to the opendkim user,\n"
       "# which must be able to read KeyFile (mode 0600, owner opendkim).\n"
    << "PidFile " << c.instance_dir << "/opendkim.pid\n"
    << "UserID opendkim:opendkim\n"
       "Background yes\n"
       "Syslog no\n"
       "Canonicalization relaxed/simple\n"
       "OversignHeaders From\n"
       "On-Default tempfail\n"
       "On-BadSignature accept\n"
       "On-KeyNotFound tempfail\n";
  return o.str();
}

}  // namespace

std::vector<GeneratedFile> GenerateInstanceFiles(const RelayConfig& c, const std::string& dir) {
  std::vector<GeneratedFile> out = {
      {"main.cf", MainCf(c, dir)},
      {"master.cf", MasterCf(c)},
      {"sender_logins", SenderLogins(c)},
      {"dovecot-auth.conf", DovecotConf(c, dir)},
  };
  if (c.upstream.empty()) out.push_back({"transport", TransportMap()});
  if (!c.dkim_selector.empty()) out.push_back({"opendkim.conf", OpenDkimConf(c)});
  return out;
}

}  // namespace mxir::relay
