// Address extraction exactly as Zeek's scripts do it, so smtp.log columns agree with Zeek:
//
//  - ExtractEmailAddresses: base/utils/email.zeek extract_email_addrs_vec (MAIL FROM / RCPT TO
//    arguments; angle brackets and separators removed, order kept, duplicates kept).
//  - SplitMimeAddresses: split_mime_email_addresses (To/Cc headers: split at commas outside a
//    leading quoted display name, display names kept, blanks trimmed).
//  - FindAddressInReceived: find_address_in_smtp_header (the IP of a Received header: among the IPs
//    wrapped in [], (), {} or blanks, the second if there are several, else the first).
//  - FirstIpAddress: the first IP anywhere in a string (X-Originating-IP).
// Pure functions, no regex engine: hand-written scanners with the same leftmost-longest results.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"

namespace mxir::smtp {

std::vector<std::string> ExtractEmailAddresses(std::string_view s);
std::vector<std::string> SplitMimeAddresses(std::string_view s);
std::optional<IpAddress> FindAddressInReceived(std::string_view header);
std::optional<IpAddress> FirstIpAddress(std::string_view s);

}  // namespace mxir::smtp
