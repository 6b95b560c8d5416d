// Zones and DNS replies shared by the dnsbl unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dnsbl/catalog.h"

namespace mxir::dnsbl::testing {

inline DnsblZone SpamhausLike() {
  auto cat = DnsblCatalog::Parse(R"({"zones": [{"id": "zen", "zone": "zen.example", "kinds":
      ["ip4", "ip6"], "txt": true, "codes": [["127.0.0.2", "listed", "SBL"],
      ["127.0.0.4-127.0.0.7", "listed", "XBL"], ["127.255.255.252", "error", "typo"],
      ["127.255.255.254", "refused", "public resolver"], ["127.255.255.255", "refused",
      "volume"]]}]})",
                                 "test");
  return cat->zones()[0];
}

inline DnsblZone UriblLike() {
  auto cat = DnsblCatalog::Parse(R"({"zones": [{"id": "uribl", "zone": "multi.uribl.example",
      "kinds": ["domain"], "codes": [["127.0.0.1", "refused", "query refused"]],
      "bits": [[2, "black"], [4, "grey"], [8, "red"]]}]})",
                                 "test");
  return cat->zones()[0];
}

inline DnsblZone ReputationLike() {
  auto cat = DnsblCatalog::Parse(R"({"zones": [{"id": "rep", "zone": "rep.example", "kinds":
      ["ip4"], "codes": [["127.0.0.10", "listed", "worst"], ["127.0.0.13-127.0.0.20",
      "not_listed", "good"]]}]})",
                                 "test");
  return cat->zones()[0];
}

// A DNS reply to `name` (type 1 = A, 16 = TXT) with the given rcode and A answers.
inline std::vector<uint8_t> Reply(const std::string& name, int rcode,
                                  const std::vector<uint32_t>& a_answers, uint16_t qtype = 1,
                                  const std::string& txt = "") {
  std::vector<uint8_t> b = {
      0x12, 0x34, 0x81, static_cast<uint8_t>(0x80 | rcode),
      0,    1,    0,    static_cast<uint8_t>(txt.empty() ? a_answers.size() : 1),
      0,    0,    0,    0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<uint8_t>(dot - start));
    for (size_t i = start; i < dot; ++i) b.push_back(static_cast<uint8_t>(name[i]));
    start = dot + 1;
  }
  b.insert(b.end(), {0, 0, static_cast<uint8_t>(qtype), 0, 1});
  if (!txt.empty()) {
    b.insert(b.end(), {0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, static_cast<uint8_t>(txt.size() + 1),
                       static_cast<uint8_t>(txt.size())});
    b.insert(b.end(), txt.begin(), txt.end());
    return b;
  }
  for (uint32_t a : a_answers) {
    b.insert(b.end(), {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, static_cast<uint8_t>(a >> 24),
                       static_cast<uint8_t>(a >> 16), static_cast<uint8_t>(a >> 8),
                       static_cast<uint8_t>(a)});
  }
  return b;
}

inline uint32_t Code(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (b << 16) | (c << 8) | d;
}

}  // namespace mxir::dnsbl::testing
