// The field forms hosted-mail exports use: times without a zone, "\/Date(ms)\/", locale dates,
// client addresses with ports and brackets, client application names.
#pragma once

#include <optional>
#include <string_view>

#include "core/ip_address.h"
#include "core/timestamp.h"

namespace mxir::logs {

// ISO 8601 times as Microsoft and Google write them: with or without a zone (none = UTC), a
// space or 'T', fractions of any length; also "\/Date(1728364117000)\/" and "/Date(ms)/".
std::optional<Timestamp> ParseHostedTime(std::string_view text);
// US-locale PowerShell dates "5/29/2023 12:29:35 PM" and "29.05.2023 12:29:35" (UTC assumed):
// only for exports that have no other time.
std::optional<Timestamp> ParseLocaleTime(std::string_view text);

// A client address as audit logs write it: "a.b.c.d", "a.b.c.d:port", "[v6]:port", bare IPv6,
// "::ffff:a.b.c.d", "fe80::1%3". False when it is none of them.
bool ParseClientEndpoint(std::string_view text, std::optional<IpAddress>* ip, int* port);

// protocol for an Entra/M365 client application ("Authenticated SMTP" -> "submission").
const char* ProtocolForClientApp(std::string_view client_app);

}  // namespace mxir::logs
