#include "relay/spf.h"

#include <optional>
#include <sstream>
#include <vector>

#include "relay/preflight_dns.h"
#include "relay/relay_config.h"

namespace mxir::relay {

namespace {

using dnsbl::DnsAnswer;
using dnsbl::DnsOutcome;
using dnsbl::DnsType;
using preflight_dns::Ask;
using preflight_dns::Failed;
using preflight_dns::StartsWithNoCase;
using preflight_dns::Why;

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

// The SPF evaluation state shared across includes and redirects (one lookup budget).
struct Spf {
  dnsbl::Resolver& r;
  IpAddress ip;
  int lookups = 0, voids = 0;
  std::string reason;

  bool Count() {
    if (++lookups > 10) {
      reason = "more than 10 DNS-querying terms (RFC 7208 §4.6.4)";
      return false;
    }
    return true;
  }
  void Void(const DnsAnswer& a) {
    if (a.outcome == DnsOutcome::kNxDomain || a.outcome == DnsOutcome::kNoData) ++voids;
  }
  // Does `ip` fall in `name`'s A records with prefix `cidr`? nullopt: a DNS failure.
  std::optional<bool> MatchA(const std::string& name, int cidr) {
    auto a = Ask(r, name, DnsType::kA);
    if (Failed(a)) return std::nullopt;
    Void(a);
    for (const auto& addr : a.addresses) {
      auto net = IpNetwork::Parse(addr.ToString() + "/" + std::to_string(cidr));
      if (net.ok() && net->Contains(ip)) return true;
    }
    return false;
  }

  // RFC 7208 check_host(): "pass", "fail", "softfail", "neutral", "none", "permerror",
  // "temperror".
  std::string CheckHost(const std::string& domain, int depth) {
    if (depth > 10) {
      reason = "include/redirect nested too deep";
      return "permerror";
    }
    auto txt = Ask(r, domain, DnsType::kTxt);
    if (Failed(txt)) {
      reason = "TXT " + domain + ": " + Why(txt);
      return "temperror";
    }
    std::vector<std::string> recs;
    for (const auto& t : txt.txt) {
      if (Lower(t) == "v=spf1" || StartsWithNoCase(t, "v=spf1 ")) recs.push_back(t);
    }
    if (recs.empty()) {
      reason = domain + " publishes no SPF record";
      return "none";
    }
    if (recs.size() > 1) {
      reason = domain + " publishes " + std::to_string(recs.size()) + " SPF records";
      return "permerror";
    }
    std::string redirect;
    auto terms = Words(recs[0]);
    for (size_t i = 1; i < terms.size(); ++i) {
      std::string term = terms[i];
      if (term.find('%') != std::string::npos) {
        reason = "term '" + term + "' uses SPF macros, which this check does not expand";
        return "permerror";
      }
      auto eq = term.find('=');
      auto colon = term.find(':');
      if (eq != std::string::npos && (colon == std::string::npos || eq < colon)) {
        std::string name = Lower(term.substr(0, eq));
        if (name == "redirect") redirect = term.substr(eq + 1);
        continue;  // exp= and unknown modifiers are ignored
      }
      char q = '+';
      if (!term.empty() && (term[0] == '+' || term[0] == '-' || term[0] == '~' || term[0] == '?')) {
        q = term[0];
        term = term.substr(1);
      }
      std::string mech = Lower(term), arg;
      int cidr4 = 32;
      auto sep = term.find_first_of(":/");
      if (sep != std::string::npos) {
        mech = Lower(term.substr(0, sep));
        std::string rest = term.substr(sep);
        if (rest[0] == ':') rest = rest.substr(1);
        auto slash = rest.find('/');
        if (slash != std::string::npos && mech != "ip4" && mech != "ip6") {
          try {
            cidr4 = std::stoi(rest.substr(slash + 1));
          } catch (...) {
            reason = "bad prefix length in '" + terms[i] + "'";
            return "permerror";
          }
          rest = rest.substr(0, slash);
        }
        arg = rest;
      }
      std::optional<bool> match;
      if (mech == "all") {
        match = true;
      } else if (mech == "ip4" || mech == "ip6") {
        std::string net =
            arg.find('/') == std::string::npos ? arg + (mech == "ip4" ? "/32" : "/128") : arg;
        auto n = IpNetwork::Parse(net);
        if (!n.ok()) {
          reason = "bad address in '" + terms[i] + "'";
          return "permerror";
        }
        match = n->Contains(ip);
      } else if (mech == "a") {
        if (!Count()) return "permerror";
        match = MatchA(arg.empty() ? domain : arg, cidr4);
      } else if (mech == "mx") {
        if (!Count()) return "permerror";
        auto mx = Ask(r, arg.empty() ? domain : arg, DnsType::kMx);
        if (Failed(mx)) {
          reason = "MX " + (arg.empty() ? domain : arg) + ": " + Why(mx);
          return "temperror";
        }
        Void(mx);
        match = false;
        for (size_t k = 0; k < mx.names.size() && k < 10 && !*match; ++k) {
          auto m = MatchA(mx.names[k], cidr4);
          if (!m) {
            reason = "A " + mx.names[k] + ": DNS failure";
            return "temperror";
          }
          match = *m;
        }
      } else if (mech == "include") {
        if (!Count()) return "permerror";
        if (arg.empty()) {
          reason = "include without a domain";
          return "permerror";
        }
        std::string sub = CheckHost(arg, depth + 1);
        if (sub == "temperror" || sub == "permerror") return sub;
        if (sub == "none") {
          reason = "include:" + arg + " has no SPF record";
          return "permerror";
        }
        match = sub == "pass";
      } else if (mech == "exists") {
        if (!Count()) return "permerror";
        auto a = Ask(r, arg, DnsType::kA);
        if (Failed(a)) return "temperror";
        Void(a);
        match = !a.addresses.empty();
      } else if (mech == "ptr") {
        if (!Count()) return "permerror";
        match = false;  // deprecated (RFC 7208 §5.5); never relied on here
      } else {
        reason = "unknown mechanism '" + terms[i] + "'";
        return "permerror";
      }
      if (!match) {
        reason = "DNS failure while evaluating '" + terms[i] + "'";
        return "temperror";
      }
      if (voids > 2) {
        reason = "more than 2 void lookups (RFC 7208 §4.6.4)";
        return "permerror";
      }
      if (*match) {
        reason = "matched '" + terms[i] + "' in " + domain;
        switch (q) {
          case '-':
            return "fail";
          case '~':
            return "softfail";
          case '?':
            return "neutral";
          default:
            return "pass";
        }
      }
    }
    if (!redirect.empty()) {
      if (!Count()) return "permerror";
      std::string sub = CheckHost(redirect, depth + 1);
      if (sub == "none") {
        reason = "redirect=" + redirect + " has no SPF record";
        return "permerror";
      }
      return sub;
    }
    reason = "no term of " + domain + "'s SPF record matched";
    return "neutral";
  }
};

}  // namespace

SpfResult EvaluateSpf(dnsbl::Resolver& resolver, const std::string& domain, const IpAddress& ip) {
  Spf s{resolver, ip, /*lookups=*/0, /*voids=*/0, /*reason=*/""};
  SpfResult r;
  r.result = s.CheckHost(domain, 0);
  r.reason = s.reason;
  r.lookups = s.lookups;
  return r;
}

}  // namespace mxir::relay
