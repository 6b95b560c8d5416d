#include "relay/policy_protocol.h"

namespace mxir::relay {

const std::string& PolicyRequest::Get(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : attributes) {
    if (k == name) return v;
  }
  return kEmpty;
}

bool PolicyRequest::Has(std::string_view name) const {
  for (const auto& kv : attributes) {
    if (kv.first == name) return true;
  }
  return false;
}

bool PolicyParser::Feed(std::string_view data, std::vector<PolicyRequest>& out) {
  if (failed()) return false;
  while (!data.empty()) {
    auto nl = data.find('\n');
    std::string_view piece = nl == std::string_view::npos ? data : data.substr(0, nl);
    if (piece.find('\0') != std::string_view::npos) return Fail("NUL byte in a request");
    if (line_.size() + piece.size() > limits_.max_line) {
      return Fail("a line longer than " + std::to_string(limits_.max_line) + " bytes");
    }
    request_bytes_ += piece.size() + (nl == std::string_view::npos ? 0 : 1);
    if (request_bytes_ > limits_.max_request) {
      return Fail("a request longer than " + std::to_string(limits_.max_request) + " bytes");
    }
    line_.append(piece);
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
    std::string line;
    line.swap(line_);
    if (!Line(line, out)) return false;
  }
  return true;
}

bool PolicyParser::Line(std::string_view line, std::vector<PolicyRequest>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF (telnet)
  if (line.empty()) {
    if (current_.attributes.empty()) return Fail("an empty request");
    out.push_back(std::move(current_));
    current_ = PolicyRequest{};
    request_bytes_ = 0;
    return true;
  }
  auto eq = line.find('=');
  if (eq == std::string_view::npos) return Fail("a line without '='");
  std::string_view name = line.substr(0, eq);
  if (name.empty()) return Fail("an attribute without a name");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return Fail("a bad attribute name");
  }
  for (char c : line.substr(eq + 1)) {
    if (c == '\r') return Fail("a bare CR in a value");
  }
  if (current_.Has(name)) return Fail("attribute '" + std::string(name) + "' repeated");
  if (current_.attributes.size() >= limits_.max_attributes) {
    return Fail("more than " + std::to_string(limits_.max_attributes) + " attributes");
  }
  current_.attributes.emplace_back(std::string(name), std::string(line.substr(eq + 1)));
  return true;
}

std::string FormatPolicyReply(std::string_view action) {
  std::string out = "action=";
  out.reserve(action.size() + 9);
  for (unsigned char c : action) {
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (action.empty()) out += "DUNNO";
  out += "\n\n";
  return out;
}

}  // namespace mxir::relay
