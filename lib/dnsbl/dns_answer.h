// DnsAnswer: what one DNS query returned, reduced to what a blocklist check needs: the outcome
// (an answer, NXDOMAIN, no data, or a failure such as SERVFAIL, REFUSED, a timeout or a reply that
// could not be parsed), the A/AAAA addresses and the TXT strings.
//
// DecodeDnsResponse() reads a raw DNS reply (the bytes c-ares hands over) with c-ares' own
// parsers and never trusts the input: garbage or a truncated reply gives kMalformed with a reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ip_address.h"

namespace mxir::dnsbl {

enum class DnsOutcome {
  kAnswer,     // NOERROR with records of the asked type
  kNxDomain,   // the name does not exist
  kNoData,     // NOERROR without records of the asked type
  kServFail,   // SERVFAIL
  kRefused,    // REFUSED (the server, not the list, refused)
  kTimeout,    // no reply within the time and tries allowed
  kMalformed,  // a reply that could not be parsed, or an unexpected rcode
  kFailed,     // anything else (connection refused, resolver set-up)
};
const char* DnsOutcomeName(DnsOutcome o);

// kPtr and kMx (host names in `names`; MX sorted by preference) serve mxir relay preflight.
enum class DnsType { kA, kTxt, kPtr, kMx };

struct DnsAnswer {
  DnsOutcome outcome = DnsOutcome::kFailed;
  std::vector<IpAddress> addresses;  // A answers
  std::vector<std::string> txt;      // TXT answers, one string per record (chunks joined)
  std::vector<std::string> names;    // PTR or MX answers (lower case, no trailing dot)
  std::string detail;                // why, for failures
};

// Decodes one raw reply to a query of `type`.
DnsAnswer DecodeDnsResponse(const uint8_t* data, size_t size, DnsType type);

}  // namespace mxir::dnsbl
