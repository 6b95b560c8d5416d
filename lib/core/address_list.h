// RFC 5322 address lists (To, Cc headers) as the SMTP decoder and the log parsers read them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mxir {

// Splits an RFC 5322 address list at commas outside quoted strings, comments and angle
// brackets; each part is kept as written (display name included), blanks around it trimmed.
std::vector<std::string> SplitAddressList(std::string_view s);

}  // namespace mxir
