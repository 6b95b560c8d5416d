// Parsers for the smaller mail formats that log SMTP, IMAP and POP3 login failures and
// rejects: Courier (imapd, pop3d, courieresmtpd), qmail (rblsmtpd), Kerio Connect, HCL Domino,
// Cyrus (imapd, pop3d, timsieved/sieve), UW-IMAP, Oracle Communications Messaging Server,
// ASSP, perdition, solid-pop3d — and the webmail logins (Roundcube, SOGo, Horde, SquirrelMail,
// OpenWebMail), whose events have protocol "webmail".
//
// Each is stateless and recognises its lines by program tag and wording; a failed login is an
// `auth` event with outcome failure (user and client as the line gives them), a reject or
// policy block is a `reply` event. MakeLoginParser() makes one by name.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "logs/log_parser.h"

namespace mxir::logs {

std::vector<std::string> LoginParserNames();
std::unique_ptr<LogParser> MakeLoginParser(std::string_view name);

}  // namespace mxir::logs
