// The Postfix policy delegation protocol (SMTPD_POLICY_README), server side: a request is
// `name=value` lines ending in LF, then an empty line; the answer is exactly `action=TEXT` LF LF.
//
// PolicyParser is incremental (bytes arrive in any pieces) and strict, because an ambiguous
// request must never be answered: a line longer than the cap, more attributes than the cap, a NUL
// byte, a line without '=', a bad attribute name, or a repeated attribute is malformed — the
// caller closes the connection without an answer and Postfix applies its default_action (451).
// Memory stays bounded by the caps. Unknown attributes are kept and ignored by the guard.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxir::relay {

struct PolicyLimits {
  size_t max_line = 2048;      // bytes per line, LF excluded
  size_t max_attributes = 64;  // attributes per request
  size_t max_request = 32768;  // bytes per request
};

struct PolicyRequest {
  std::vector<std::pair<std::string, std::string>> attributes;
  // The value of `name`, or "" when absent.
  const std::string& Get(std::string_view name) const;
  bool Has(std::string_view name) const;
};

class PolicyParser {
 public:
  explicit PolicyParser(PolicyLimits limits = {}) : limits_(limits) {}

  // Consumes bytes; complete requests are appended to `out`. False once the input is malformed
  // (error() says why); the parser then stays failed.
  bool Feed(std::string_view data, std::vector<PolicyRequest>& out);
  // True when bytes of an unfinished request are buffered (EOF now means a truncated request).
  bool HasPartial() const { return !line_.empty() || !current_.attributes.empty(); }
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

 private:
  bool Line(std::string_view line, std::vector<PolicyRequest>& out);
  bool Fail(std::string why) {
    error_ = std::move(why);
    return false;
  }
  PolicyLimits limits_;
  std::string line_;
  PolicyRequest current_;
  size_t request_bytes_ = 0;
  std::string error_;
};

// "action=TEXT\n\n". The text is reduced to one line of printable ASCII (anything else becomes
// '?'), so an answer can never carry a second attribute or end early.
std::string FormatPolicyReply(std::string_view action);

}  // namespace mxir::relay
