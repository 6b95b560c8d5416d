// SmtpAuthCheck: proves a reset from the outside, the way a mail client (or an attacker) would
// see it: connect to an SMTP submission service, EHLO, STARTTLS when offered (certificate checked
// against the system store or a given CA file; host name checked too), then AUTH PLAIN with
// the account and a password, and report whether the server accepted it (235) or refused it
// (535 and other 5xx). Without STARTTLS, AUTH goes in clear text only to a loopback address; any
// other server must offer STARTTLS. Everything is bounded by a timeout; the password never
// appears in an error.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace mxir::hooks {

struct SmtpAuthTarget {
  std::string host;  // numeric IPv4/IPv6 or a name
  uint16_t port = 587;
  std::string ca_file;   // empty: the system's CA store
  std::string tls_name;  // the name the certificate must carry; empty: `host`
  std::chrono::milliseconds timeout{15000};
};

struct SmtpAuthOutcome {
  bool accepted = false;
  int reply_code = 0;
  std::string reply_text;  // the server's last reply (never holds the password)
  bool tls = false;
};

Result<SmtpAuthOutcome> SmtpAuthCheck(const SmtpAuthTarget& target, const std::string& user,
                                      const std::string& password);

// "host:port" or "[v6]:port" -> target; kUsage when malformed.
Result<SmtpAuthTarget> ParseSmtpTarget(const std::string& text);

}  // namespace mxir::hooks
