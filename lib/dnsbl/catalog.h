// DnsblCatalog: what mxir knows about each blocklist zone, loaded from the shipped data file
// (data/dnsbl/catalog.json, installed as share/mxir/dnsbl/catalog.json).
//
// For each zone: what it lists (IPv4, IPv6 nibbles, domains), the meaning of each answer code
// (a listing, a refusal such as "public resolver blocked", an error, or a good reputation score),
// bitmask flags for SURBL/URIBL-style zones, the delisting method, the next action to show in
// reports, the typical expiry and the removal page. Defunct zones are kept so they can be named
// and refused, but are never queried by default. Unknown answers are never listings.
// A loaded catalog is immutable and safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mxir::dnsbl {

// The contract's four statuses (spec/cli.md "dnsbl"), plus kNotApplicable for a target the zone
// does not cover (an IPv6 address on an IPv4-only list): such pairs are skipped, never queried.
enum class CheckStatus { kListed, kNotListed, kRefused, kError };
const char* CheckStatusName(CheckStatus s);
std::optional<CheckStatus> ParseCheckStatus(std::string_view name);

// One documented answer: an address or a range inside 127.0.0.0/8 (host-order integers).
struct CodeRule {
  uint32_t from = 0, to = 0;
  CheckStatus status = CheckStatus::kListed;
  std::string meaning;
};

struct BitFlag {
  uint32_t bit = 0;
  std::string meaning;
};

enum class ZoneState { kActive, kUncertain, kKeyRequired, kDefunct };
const char* ZoneStateName(ZoneState s);

struct DnsblZone {
  std::string id;    // stable short name ("spamhaus-zen")
  std::string zone;  // DNS suffix, lower case, no trailing dot
  std::string operator_name;
  bool ip4 = false, ip6 = false, domain = false;
  std::vector<CodeRule> codes;
  std::vector<BitFlag> bits;  // non-empty: last octet of 127.0.0.x is a sum of these flags
  bool txt = false;
  std::string delisting, next_action, removal_url, public_resolver_blocked, note;
  std::optional<int> expiry_hours;
  ZoneState state = ZoneState::kActive;
  // RFC 5782 test points, overridable per zone ("none" disables that check). Empty: the defaults
  // (127.0.0.2 / 127.0.0.1, ::ffff:7f00:2 / ::ffff:7f00:1, test / invalid).
  std::string test_listed, test_unlisted;
  // A private server for this zone (a local rbldnsd mirror), "HOST:PORT"; empty: --resolver.
  std::string server;
  bool ad_hoc = false;  // made from --zone NAME=KIND, not from the catalog
};

class DnsblCatalog {
 public:
  // Parses the catalog's JSON text; errors name the entry and the field.
  static Result<DnsblCatalog> Parse(std::string_view json_text, const std::string& origin);
  static Result<DnsblCatalog> LoadFile(const std::string& path);
  // The shipped catalog: $MXIR_DNSBL_CATALOG, else share/mxir/dnsbl/catalog.json beside the
  // running binary's bin/ folder, else the source tree's data/dnsbl/catalog.json.
  static Result<DnsblCatalog> LoadDefault();

  const std::vector<DnsblZone>& zones() const { return zones_; }
  const std::string& origin() const { return origin_; }
  // By id or zone name (case-insensitive); nullptr when unknown.
  const DnsblZone* Find(std::string_view id_or_zone) const;
  // The zones queried when the user names none: state active.
  std::vector<DnsblZone> DefaultZones() const;
  // Resolves one --zone argument: a catalog id or zone (refused when defunct or key-gated:
  // keys are not supported yet), or "ZONE=ip" / "ZONE=ip4" / "ZONE=domain" for a zone outside the
  // catalog, which is read RFC 5782 style (127.0.0.2-127.0.0.255 listed). A bare unknown name is an
  // error that says how to give its kind.
  Result<DnsblZone> ResolveZoneArgument(std::string_view arg) const;

 private:
  std::vector<DnsblZone> zones_;
  std::string origin_;
};

// Checks a zone name: letters, digits, '-', '_' labels of 1-63 bytes, at least two labels, no
// spaces; returns it lower-cased without a trailing dot.
Result<std::string> NormaliseZoneName(std::string_view zone);

// "127.0.0.2" -> host-order integer; errors outside 127.0.0.0/8 or when malformed.
Result<uint32_t> ParseLoopbackCode(std::string_view text);

}  // namespace mxir::dnsbl
