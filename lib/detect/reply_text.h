// Reading a remote server's refusal text: does it cite a blocklist (which one, which IP), or is
// it a rate/reputation throttle? Used for delivery events (our MTA's outgoing mail) and reply
// events (a server answering one of our clients). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxir::detect {

struct BlocklistCitation {
  std::string list;       // "Spamhaus ZEN (zen.spamhaus.org)", or the zone named in the text
  std::string listed_ip;  // the IP the text names, "" when none
};

// A citation when the text names a blocklist or says the sender is on one.
std::optional<BlocklistCitation> FindBlocklistCitation(std::string_view text);

// True when the reply (code + text) defers or refuses for rate or reputation reasons without
// naming a blocklist: "too many", "rate limit", "temporarily restricted", "try again later" with
// 421/450/451/452/454, Gmail's 4.7.28, Yahoo's TS codes, Microsoft's 4.7.650, ...
bool IsThrottleReply(int code, std::string_view enhanced, std::string_view text);

// The first IPv4 or IPv6 address-looking token in the text that parses, "" when none.
std::string FirstIpInText(std::string_view text);

}  // namespace mxir::detect
