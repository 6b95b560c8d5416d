#include "logs/mta_common.h"

#include <cctype>
#include <string>

#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

std::optional<IpAddress> FirstUnparenthesised(std::string_view s, int* port) {
  size_t from = 0;
  for (int guard = 0; guard < 32; ++guard) {
    size_t open = s.find('[', from);
    if (open == std::string_view::npos) return std::nullopt;
    size_t close = s.find(']', open);
    if (close == std::string_view::npos) return std::nullopt;
    if (open == 0 || s[open - 1] != '(') {
      if (auto ip = ParseIp(s.substr(open + 1, close - open - 1))) {
        if (port != nullptr && close + 1 < s.size() && s[close + 1] == ':') {
          if (auto p = ParseInt(UpTo(s.substr(close + 2), " "))) *port = static_cast<int>(*p);
        }
        return ip;
      }
    }
    from = open + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<IpAddress> EximClientIp(std::string_view text, int* port) {
  size_t h = text.rfind(" H=");
  if (h == std::string_view::npos && StartsWith(text, "H=")) h = 0;
  if (h != std::string_view::npos) {
    std::string_view seg = UpTo(text.substr(h), " I=");
    if (auto ip = FirstUnparenthesised(seg, port)) return ip;
  }
  if (auto f = After(text, " from ")) {
    if (auto ip = FirstUnparenthesised(UpTo(*f, " I="), port)) return ip;
  }
  return FirstUnparenthesised(text, port);
}

std::string_view ProtocolForPort(int port) {
  if (port == 587) return "submission";
  if (port == 465) return "smtps";
  return "smtp";
}

std::string_view MechanismFromName(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("cram") != std::string::npos) return "CRAM-MD5";
  if (lower.find("digest") != std::string::npos) return "DIGEST-MD5";
  if (lower.find("login") != std::string::npos) return "LOGIN";
  if (lower.find("plain") != std::string::npos) return "PLAIN";
  if (lower.find("xoauth2") != std::string::npos) return "XOAUTH2";
  if (lower.find("ntlm") != std::string::npos) return "NTLM";
  return {};
}

}  // namespace mxir::logs
