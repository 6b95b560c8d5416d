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
#include <string_view>

#include "core/status.h"

namespace mxir::hooks {

struct SmtpAuthTarget {
  std::string host;  // numeric IPv4/IPv6 or a name
  uint16_t port = 587;
  std::string ca_file;   // empty: the system's CA store
  std::string tls_name;  // the name the certificate must carry; empty: `host`
  // ca_file is the server's own certificate (Postfix's smtpd_tls_cert_file): the peer must
  // prove it holds that certificate's key; the name in it is not checked (a loopback probe of
  // the local server, which has no name to check against).
  bool pinned_cert = false;
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

// A submission attempt as a SASL login without its password, through Postfix's XCLIENT
// extension (XCLIENT_README: "LOGIN=" makes smtpd treat the session as authenticated by that
// login; only clients listed in smtpd_authorized_xclient_hosts may use it): connect, EHLO,
// STARTTLS when offered, XCLIENT LOGIN=, EHLO, MAIL FROM, RCPT TO, then RSET and QUIT. DATA is
// never sent: nothing is ever queued, whatever the server answers.
struct SubmissionProbe {
  std::string login;          // the SASL login to act as
  std::string sender;         // MAIL FROM (empty: <>)
  std::string recipient;      // RCPT TO
  bool xclient_only = false;  // only see whether XCLIENT LOGIN is offered (a dry run): EHLO, QUIT
};
struct SubmissionProbeOutcome {
  enum class Result {
    kRefused,         // MAIL or RCPT answered 4xx/5xx
    kAccepted,        // RCPT answered 2xx: the server would take the message
    kNoXclient,       // the server does not let this client use XCLIENT LOGIN (detail says why)
    kXclientOffered,  // xclient_only: it does
  };
  Result result = Result::kNoXclient;
  int reply_code = 0;
  std::string reply_text;  // the deciding reply (or the EHLO keywords for kNoXclient)
  std::string stage;       // "MAIL", "RCPT", "EHLO", "XCLIENT"
  bool tls = false;
};
Result<SubmissionProbeOutcome> SmtpSubmissionProbe(const SmtpAuthTarget& target,
                                                   const SubmissionProbe& probe);
// RFC 3461 xtext (XCLIENT attribute values): '+', '=' and bytes outside 33..126 as "+HH".
std::string XtextEncode(std::string_view value);

// "host:port" or "[v6]:port" -> target; kUsage when malformed.
Result<SmtpAuthTarget> ParseSmtpTarget(const std::string& text);

}  // namespace mxir::hooks
