// Verdict: the meaning of one DNS answer for one zone, by the zone's documented codes only.
//
// Rules (spec/cli.md "dnsbl", reference/dnsbl-notes.md): NXDOMAIN is not_listed; an answer
// outside 127.0.0.0/8 is error (a resolver rewriting NXDOMAIN, a parked domain); a documented
// refusal code (Spamhaus 127.255.255.254, URIBL 127.0.0.1) is refused and wins over everything
// else in the same answer; a documented listing code (or bitmask flag) is listed; a documented
// good-reputation code is not_listed; any other 127.x answer is error ("unrecognised"), never
// listed. Timeouts, SERVFAIL, REFUSED and malformed replies are error. NODATA (the name exists
// without an A record) is not_listed. Pure functions; no I/O.
#pragma once

#include <string>
#include <vector>

#include "dnsbl/catalog.h"
#include "dnsbl/dns_answer.h"

namespace mxir::dnsbl {

struct Verdict {
  CheckStatus status = CheckStatus::kError;
  std::vector<std::string> codes;  // the A answers as text
  std::string meaning;             // what the codes mean, or why it is an error
};

Verdict Interpret(const DnsblZone& zone, const DnsAnswer& answer);

}  // namespace mxir::dnsbl
