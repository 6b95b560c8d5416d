#include "detect/locality.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include <libpsl.h>

#include "core/ascii.h"

namespace mxir::detect {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(&out);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '.')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::vector<std::string> Locality::DefaultInternal() {
  return {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
          "::1/128",    "fc00::/7",      "169.254.0.0/16", "fe80::/10"};
}

Status Locality::AddInternal(std::string_view cidr) {
  auto net = IpNetwork::Parse(cidr);
  if (!net.ok()) {
    return MakeError(ErrorCode::kUsage, "--internal '" + std::string(cidr) +
                                            "': expected an address or CIDR such as 10.0.0.0/8");
  }
  const IpAddress& base = net->base();
  if (net->prefix_len() == (base.is_v4() ? 32 : 128)) {
    // IpNetwork::Contains compares an IPv4 network with the unmapped address, and IsInternal
    // unmaps first: the same as comparing the bytes.
    HostKey k = KeyOf(base);
    auto it = std::lower_bound(hosts_.begin(), hosts_.end(), k);
    if (it == hosts_.end() || *it != k) hosts_.insert(it, k);
    return Status::Ok();
  }
  networks_.push_back(*net);
  return Status::Ok();
}

Locality::HostKey Locality::KeyOf(const IpAddress& a) {
  HostKey k{};
  k[0] = a.is_v4() ? 4 : 6;
  std::copy(a.bytes(), a.bytes() + (a.is_v4() ? 4 : 16), k.begin() + 1);
  return k;
}

Status Locality::AddLocalDomain(std::string_view domain) {
  std::string d = Lower(Trim(domain));
  if (!d.empty() && d.front() == '@') d.erase(0, 1);
  if (d.empty() || d.find_first_of(" @/<>") != std::string::npos || d.find('.') == 0) {
    return MakeError(ErrorCode::kUsage, "--local-domain '" + std::string(domain) +
                                            "': expected a domain such as example.com");
  }
  if (std::find(domains_.begin(), domains_.end(), d) == domains_.end()) domains_.push_back(d);
  return Status::Ok();
}

bool Locality::IsInternal(const IpAddress& ip) const {
  IpAddress a = ip.Unmapped();
  if (!hosts_.empty() && std::binary_search(hosts_.begin(), hosts_.end(), KeyOf(a))) return true;
  for (const auto& n : networks_) {
    if (n.Contains(a)) return true;
  }
  return false;
}

bool Locality::Extends(const Locality& older, Locality* added) const {
  auto same = [](const IpNetwork& a, const IpNetwork& b) {
    return a.prefix_len() == b.prefix_len() && a.base() == b.base();
  };
  auto has = [&](const std::vector<IpNetwork>& v, const IpNetwork& n) {
    return std::any_of(v.begin(), v.end(), [&](const IpNetwork& m) { return same(m, n); });
  };
  for (const IpNetwork& n : older.networks_) {
    if (!has(networks_, n)) return false;
  }
  if (!std::includes(hosts_.begin(), hosts_.end(), older.hosts_.begin(), older.hosts_.end()))
    return false;
  *added = Locality();
  for (const IpNetwork& n : networks_) {
    if (!has(older.networks_, n)) added->networks_.push_back(n);
  }
  std::set_difference(hosts_.begin(), hosts_.end(), older.hosts_.begin(), older.hosts_.end(),
                      std::back_inserter(added->hosts_));
  return true;
}

std::vector<IpAddress> Locality::Hosts() const {
  std::vector<IpAddress> out;
  for (const HostKey& k : hosts_) out.push_back(IpAddress::FromBytes(k.data() + 1, k[0] == 6));
  return out;
}

bool Locality::IsLocalDomain(std::string_view domain) const {
  std::string d = Lower(Trim(domain));
  for (const auto& l : domains_) {
    if (d == l) return true;
    if (d.size() > l.size() && d.compare(d.size() - l.size(), l.size(), l) == 0 &&
        d[d.size() - l.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

bool Locality::IsLocalAddress(std::string_view address) const {
  std::string d = DomainOf(address);
  return !d.empty() && IsLocalDomain(d);
}

void BareAddressTo(std::string_view address, std::string* out) {
  auto lt = address.rfind('<');
  if (lt != std::string_view::npos) {
    auto gt = address.find('>', lt);
    address =
        address.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
  }
  out->assign(Trim(address));
  AsciiLowerInPlace(out);
}

std::string_view BareAddressView(std::string_view address, std::string* buf) {
  // Fast path: most addresses are already bare and lower case.
  bool plain = !address.empty();
  for (char c : address) {
    if ((c >= 'A' && c <= 'Z') || c == '<' || c == '>') {
      plain = false;
      break;
    }
  }
  if (plain && Trim(address).size() == address.size()) return address;
  BareAddressTo(address, buf);
  return *buf;
}

std::string BareAddress(std::string_view address) {
  std::string out;
  BareAddressTo(address, &out);
  return out;
}

std::string OrganizationalDomain(std::string_view domain) {
  static const psl_ctx_t* psl = psl_builtin() ? psl_builtin() : psl_latest(nullptr);
  std::string d = Lower(Trim(domain));
  if (!psl || d.empty()) return d;
  const char* r = psl_registrable_domain(psl, d.c_str());
  return r ? std::string(r) : d;
}

std::string DomainOf(std::string_view address) {
  return std::string(DomainPart(BareAddress(address)));
}

std::string_view DomainPart(std::string_view bare) {
  auto at = bare.rfind('@');
  if (at == std::string_view::npos || at + 1 >= bare.size()) return {};
  return bare.substr(at + 1);
}

}  // namespace mxir::detect
