// NginxMailParser: the nginx mail proxy's error.log lines (IMAP, POP3 and SMTP in front of the
// real servers, as in Zimbra, Mailu and others) as Events.
//
//   2026/12/06 21:50:00 [info] 1234#1234: *57 client login failed: "Invalid login or password"
//   while in http auth state, client: 192.0.2.160, server: 0.0.0.0:993, login: "alice"
//
// "client login failed" (the auth_http service refused the credentials) is an auth failure of
// that client and login; "auth http server ... " errors (the auth service itself failed) are
// auth events with outcome unknown; "client IP:PORT connected to ADDR:PORT" starts a session.
// The protocol follows the server port (143/993 imap, 110/995 pop3, else smtp). The session is
// nginx's connection number ("*57"). Stateless.
#pragma once

#include "logs/log_parser.h"

namespace mxir::logs {

class NginxMailParser final : public LogParser {
 public:
  const char* name() const override { return "nginx"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;
};

}  // namespace mxir::logs
