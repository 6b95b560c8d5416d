// Helpers shared by the MTA log parsers (Exim, Sendmail, and the smaller formats): finding the
// client's address in the many ways MTAs write it, and naming SMTP protocols by port.
#pragma once

#include <optional>
#include <string_view>

#include "core/ip_address.h"

namespace mxir::logs {

// The client of an Exim line: after the last "H=" (a later "H=" wins, so text a client put in
// its HELO cannot spoof it), the first "[ip]" not inside "(...)" (that is the HELO name);
// else after "from ", or the first bracketed address.
std::optional<IpAddress> EximClientIp(std::string_view text, int* port = nullptr);

// "I=[ip]:587" -> submission, 465 -> smtps, else smtp.
std::string_view ProtocolForPort(int port);

// "LOGIN", "PLAIN", "CRAM-MD5" from an authenticator or method name such as "dovecot_login",
// "auth_plain", "cram_md5", "fixed_login"; empty when it names none.
std::string_view MechanismFromName(std::string_view name);

}  // namespace mxir::logs
