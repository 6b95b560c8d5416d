// Locality: which hosts are "ours" (inside the network) and which mail domains are local.
//
// Detectors never use locality to decide *whether* something is a finding, only how it is
// worded, how severe it is and what to do next (spec/events.md). Inside = the --internal
// networks (default RFC 1918, loopback, ULA, link-local) plus the case's IP and network assets.
// Local domains = --local-domain plus the case's domain assets; subdomains count as local.
// Immutable after setup; safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"
#include "core/status.h"

namespace mxir::detect {

class Locality {
 public:
  // The default inside networks.
  static std::vector<std::string> DefaultInternal();

  [[nodiscard]] Status AddInternal(std::string_view cidr);
  [[nodiscard]] Status AddLocalDomain(std::string_view domain);

  bool IsInternal(const IpAddress& ip) const;
  // True when every inside network and address of `older` is inside this one too (this one
  // grew, as a case's assets do); *added then holds what this one has more (the local domains
  // are not compared): an address inside this one is inside `older` or inside *added.
  bool Extends(const Locality& older, Locality* added) const;
  // The single addresses inside (the IP assets) and whether there are networks besides.
  std::vector<IpAddress> Hosts() const;
  bool has_networks() const { return !networks_.empty(); }
  bool IsLocalDomain(std::string_view domain) const;
  // True when the address's domain is local. Addresses without '@' are not.
  bool IsLocalAddress(std::string_view address) const;
  bool has_local_domains() const { return !domains_.empty(); }
  const std::vector<std::string>& local_domains() const { return domains_; }

 private:
  // Single addresses (/32, /128: the case's IP assets, often hundreds) are looked up in a sorted
  // list; only real networks are scanned one by one.
  using HostKey = std::array<uint8_t, 17>;  // family, then the address's bytes (zero-padded)
  static HostKey KeyOf(const IpAddress& a);
  std::vector<IpNetwork> networks_;
  std::vector<HostKey> hosts_;  // sorted, unique
  std::vector<std::string> domains_;
};

// The lower-case domain of "Name <user@Example.COM>" or "user@example.com" ("" when none).
std::string DomainOf(std::string_view address);
// The registrable ("organizational") domain by the Public Suffix List (libpsl):
// "news.deals-daily.example" -> "deals-daily.example", "a.example.co.uk" -> "example.co.uk";
// the domain itself when the list gives none.
std::string OrganizationalDomain(std::string_view domain);
// The domain of an address already made bare (BareAddress), "" when it has none.
std::string_view DomainPart(std::string_view bare);
// The lower-case bare address of "Name <user@Example.COM>" ("user@example.com").
std::string BareAddress(std::string_view address);
// The same into *out (reusing its capacity: no allocation on hot paths).
void BareAddressTo(std::string_view address, std::string* out);
// The same as a view: of `address` itself when it is already bare and lower case, else of
// *buf, filled (valid while both are).
std::string_view BareAddressView(std::string_view address, std::string* buf);

}  // namespace mxir::detect
