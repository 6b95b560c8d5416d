// libFuzzer target: raw DNS replies through DecodeDnsResponse (c-ares' parsers plus our header
// and rcode handling) and the answer interpretation of a code-table zone and a bitmask zone.
// The first byte picks A or TXT. Must never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "dnsbl/catalog.h"
#include "dnsbl/dns_answer.h"
#include "dnsbl/verdict.h"

namespace {

const mxir::dnsbl::DnsblCatalog& Catalog() {
  static const auto* cat = new mxir::dnsbl::DnsblCatalog(*mxir::dnsbl::DnsblCatalog::Parse(
      R"({"zones": [{"id": "zen", "zone": "zen.example", "kinds": ["ip4", "ip6"],
          "codes": [["127.0.0.2", "listed", "SBL"], ["127.0.0.4-127.0.0.7", "listed", "XBL"],
                    ["127.255.255.254", "refused", "public resolver"],
                    ["127.255.255.252", "error", "typo"]]},
         {"id": "uribl", "zone": "multi.uribl.example", "kinds": ["domain"],
          "codes": [["127.0.0.1", "refused", "refused"]],
          "bits": [[2, "black"], [4, "grey"], [8, "red"]]}]})",
      "fuzz"));
  return *cat;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto type = (data[0] & 1) ? mxir::dnsbl::DnsType::kTxt : mxir::dnsbl::DnsType::kA;
  mxir::dnsbl::DnsAnswer a = mxir::dnsbl::DecodeDnsResponse(data + 1, size - 1, type);
  for (const auto& zone : Catalog().zones()) {
    mxir::dnsbl::Verdict v = mxir::dnsbl::Interpret(zone, a);
    if (v.status == mxir::dnsbl::CheckStatus::kListed && a.addresses.empty()) __builtin_trap();
  }
  return 0;
}
