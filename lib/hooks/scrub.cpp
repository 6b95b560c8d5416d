#include "hooks/scrub.h"

#include <nlohmann/json.hpp>

#include "hooks/encoding.h"

namespace mxir::hooks {
namespace {

void ReplaceAll(std::string& text, const std::string& needle) {
  if (needle.size() < 4) return;
  static const std::string kMark = "[redacted]";
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), kMark);
    pos += kMark.size();
  }
}

}  // namespace

std::string ScrubSecrets(std::string_view text, const std::vector<std::string>& secrets,
                         size_t max_bytes) {
  std::string out(text);
  for (const std::string& s : secrets) {
    if (s.size() < 4) continue;
    ReplaceAll(out, s);
    ReplaceAll(out, PercentEncode(s));
    std::string b64 = Base64Encode(s);
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    ReplaceAll(out, b64);
    std::string json = nlohmann::json(s).dump();  // "..." with escapes
    json = json.substr(1, json.size() - 2);
    ReplaceAll(out, json);
    // JSON may also escape '/' as "\/" (PHP's json_encode does).
    std::string slashed;
    for (char c : json) slashed += c == '/' ? std::string("\\/") : std::string(1, c);
    ReplaceAll(out, slashed);
  }
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    out += "...[cut]";
  }
  return out;
}

}  // namespace mxir::hooks
