// The DNS questions preflight asks (preflight.h, spf.h): one query at a time through the
// resolver, and how to tell an answer that failed (timeout, refusal, server failure) from a
// negative one (no such name, no data), which is an answer.
#pragma once

#include <string>

#include "dnsbl/resolver.h"

namespace mxir::relay::preflight_dns {

// Asks one question (query group "preflight"); an empty answer when the resolver gave none.
dnsbl::DnsAnswer Ask(dnsbl::Resolver& r, const std::string& name, dnsbl::DnsType type);

// True when the question got no usable answer: anything but an answer, no such name or no data.
bool Failed(const dnsbl::DnsAnswer& a);

// The outcome of `a` in words, with the resolver's detail in brackets when it gave one.
std::string Why(const dnsbl::DnsAnswer& a);

// Whether `s` starts with `prefix` (lower case), ASCII case ignored: a TXT record's version tag
// ("v=spf1 ", "v=dmarc1").
bool StartsWithNoCase(const std::string& s, const std::string& prefix);

}  // namespace mxir::relay::preflight_dns
