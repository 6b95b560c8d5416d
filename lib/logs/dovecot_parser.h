// DovecotParser: Dovecot's login processes (imap-, pop3-, submission-, managesieve-login) and
// its auth processes (auth, auth-worker: passdb backends pam, passwd-file, sql, ldap, ...), in
// syslog form, in Dovecot's own log file form and with TAI64N stamps, Dovecot 2.0 to 2.4.
//
// Login lines: "Login: user=<u>, method=M, rip=, lip=" is an auth success; "(auth failed, N
// attempts ...)" gives N auth failures; "(tried to use disallowed plaintext auth)" is a `reply`
// (a refused command); "proxy dest auth failed" is a failure; connections that ended without an
// attempt ("no auth attempts", TLS handshake failures) are a `session_end` with the reason.
// Backend lines "backend(user,ip,...): Password mismatch | unknown user | invalid credentials |
// pam_authenticate() failed" are auth failures with the backend's reason. With
// `auth_verbose_passwords = sha1:N` the "(SHA1 of given password: abc123)" becomes
// `secret_fp = "dovecot-sha1:" + HMAC(key, "dovecot-sha1:abc123")` (16 hex digits): the logged,
// unsalted hash itself is never stored. A plain "(given password: ...)" is fingerprinted with
// the given key too. Without a key neither gives a secret_fp.
#pragma once

#include "core/secret_fingerprint.h"
#include "logs/log_parser.h"

namespace mxir::logs {

class DovecotParser final : public LogParser {
 public:
  // `fingerprinter` may be null (then passwords and their hashes in the log are just dropped).
  explicit DovecotParser(const SecretFingerprinter* fingerprinter = nullptr)
      : fingerprinter_(fingerprinter) {}
  const char* name() const override { return "dovecot"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;

 private:
  LineOutcome ParseLogin(const LogRecord& rec, std::string_view service, std::string_view msg,
                         EventSink& sink);
  LineOutcome ParseAuth(const LogRecord& rec, std::string_view tag_args, std::string_view msg,
                        EventSink& sink);
  LineOutcome ParsePam(const LogRecord& rec, std::string_view pam, EventSink& sink);
  const SecretFingerprinter* fingerprinter_;
};

}  // namespace mxir::logs
