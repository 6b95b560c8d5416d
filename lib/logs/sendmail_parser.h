// SendmailParser: sendmail's syslog lines (sm-mta, sendmail, sm-acceptingconnections, ...).
//
// "AUTH failure (MECH): reason, user=U, relay=host [ip]" is an auth failure; "possible SMTP
// attack: command=AUTH, count=N", ruleset rejects ("ruleset=check_rcpt, arg1=<x>, relay=...,
// reject=550 5.7.1 ..."), pre-greeting traffic, refused EXPN/VRFY and "User unknown" / "No such
// user here" are `reply` events; "from=" lines give the `mail` event and "to= ... stat=" lines
// the deliveries. Lines without the client (user unknown) take it from an earlier line of the
// same queue id (at most kMaxOpen ids are remembered).
#pragma once

#include <string>
#include <unordered_map>

#include "logs/log_parser.h"

namespace mxir::logs {

class SendmailParser final : public LogParser {
 public:
  static constexpr size_t kMaxOpen = 100000;
  const char* name() const override { return "sendmail"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;

 private:
  std::unordered_map<std::string, IpAddress> client_of_queue_;
};

}  // namespace mxir::logs
