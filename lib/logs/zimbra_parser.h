// ZimbraParser: Zimbra's log4j files — audit.log and mailbox.log — as auth events.
//
//   2026-12-06 21:40:00,123 WARN  [qtp1-56:https://mail.example.com/service/soap/AuthRequest]
//   [name=alice@example.com;oip=192.0.2.150;ua=ZimbraWebClient;] security - cmd=Auth;
//   account=alice@example.com; protocol=soap; error=authentication failed for
//   [alice@example.com], invalid password;
//
// The bracketed context names the client: `oip` (the original client, when a proxy stands in
// front) is preferred over `ip`. audit.log's "security - cmd=Auth..." lines are successes, or
// failures when they carry "error=authentication failed"; mailbox.log's "authentication failed
// for [user]" lines (imap, pop3, soap, ...) are failures and "user U authenticated" successes.
// Stateless.
#pragma once

#include "logs/log_parser.h"

namespace mxir::logs {

class ZimbraParser final : public LogParser {
 public:
  const char* name() const override { return "zimbra"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;
};

}  // namespace mxir::logs
