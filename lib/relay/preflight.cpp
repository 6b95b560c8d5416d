#include "relay/preflight.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "core/clock.h"
#include "dnsbl/checker.h"
#include "dnsbl/target.h"

namespace mxir::relay {

namespace {

using dnsbl::DnsAnswer;
using dnsbl::DnsOutcome;
using dnsbl::DnsQuery;
using dnsbl::DnsType;

DnsAnswer Ask(dnsbl::Resolver& r, const std::string& name, DnsType type) {
  DnsQuery q;
  q.name = name;
  q.type = type;
  q.group = "preflight";
  auto a = r.ResolveAll({q});
  return a.empty() ? DnsAnswer{} : a[0];
}

bool Failed(const DnsAnswer& a) {
  return a.outcome != DnsOutcome::kAnswer && a.outcome != DnsOutcome::kNxDomain &&
         a.outcome != DnsOutcome::kNoData;
}

std::string Why(const DnsAnswer& a) {
  std::string s = dnsbl::DnsOutcomeName(a.outcome);
  if (!a.detail.empty()) s += " (" + a.detail + ")";
  return s;
}

std::string ReverseName(const IpAddress& ip) {
  std::string t = ip.ToString();
  std::vector<std::string> parts;
  std::stringstream ss(t);
  std::string p;
  while (std::getline(ss, p, '.')) parts.push_back(p);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += *it + ".";
  return out + "in-addr.arpa";
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

bool StartsWithNoCase(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && Lower(s.substr(0, prefix.size())) == prefix;
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

std::string Base64Decode(const std::string& in) {
  std::string clean;
  for (char c : in) {
    if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) return "";
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return "";
  size_t pad = 0;
  if (clean.size() >= 1 && clean.back() == '=') ++pad;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The p= tag of a DKIM key record (RFC 6376 §3.6.1); empty when absent or revoked.
std::string DkimKeyTag(const std::string& record) {
  std::stringstream ss(record);
  std::string tag;
  while (std::getline(ss, tag, ';')) {
    auto eq = tag.find('=');
    if (eq == std::string::npos) continue;
    std::string name = tag.substr(0, eq);
    name.erase(std::remove_if(name.begin(), name.end(), ::isspace), name.end());
    if (name == "p") return tag.substr(eq + 1);
  }
  return "";
}

// Signs a random test text with the private key and verifies it with the published key.
std::string DkimSignatureTest(const std::string& key_file, const std::string& p_tag) {
  std::string der = Base64Decode(p_tag);
  if (der.empty()) return "the published p= value is not valid base64";
  const unsigned char* dp = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &dp, static_cast<long>(der.size()));
  if (!pub) return "the published p= value is not a public key";
  FILE* f = std::fopen(key_file.c_str(), "r");
  if (!f) {
    EVP_PKEY_free(pub);
    return "cannot read the private key " + key_file;
  }
  EVP_PKEY* priv = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!priv) {
    EVP_PKEY_free(pub);
    return key_file + " is not a PEM private key";
  }
  unsigned char msg[64];
  RAND_bytes(msg, sizeof msg);
  std::string result = "the test signature does not verify with the published key";
  EVP_MD_CTX* sctx = EVP_MD_CTX_new();
  size_t siglen = 0;
  std::vector<unsigned char> sig;
  if (EVP_DigestSignInit(sctx, nullptr, EVP_sha256(), nullptr, priv) == 1 &&
      EVP_DigestSign(sctx, nullptr, &siglen, msg, sizeof msg) == 1) {
    sig.resize(siglen);
    if (EVP_DigestSign(sctx, sig.data(), &siglen, msg, sizeof msg) == 1) {
      sig.resize(siglen);
      EVP_MD_CTX* vctx = EVP_MD_CTX_new();
      if (EVP_DigestVerifyInit(vctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
          EVP_DigestVerify(vctx, sig.data(), sig.size(), msg, sizeof msg) == 1) {
        result = "";
      }
      EVP_MD_CTX_free(vctx);
    }
  }
  EVP_MD_CTX_free(sctx);
  EVP_PKEY_free(priv);
  EVP_PKEY_free(pub);
  return result;
}

}  // namespace

SpfResult EvaluateSpf(dnsbl::Resolver& resolver, const std::string& domain, const IpAddress& ip) {
  Spf s{resolver, ip};
  SpfResult r;
  r.result = s.CheckHost(domain, 0);
  r.reason = s.reason;
  r.lookups = s.lookups;
  return r;
}

std::vector<PreflightCheck> RunPreflight(const RelayConfig& c, dnsbl::Resolver& resolver,
                                         const PreflightOptions& o) {
  std::vector<PreflightCheck> out;
  auto ip = *IpAddress::Parse(c.listen_ip);
  // PTR and forward DNS.
  {
    auto ptr = Ask(resolver, ReverseName(ip), DnsType::kPtr);
    PreflightCheck p{"ptr", c.listen_ip, "", "", ""};
    std::string names;
    for (const auto& n : ptr.names) names += (names.empty() ? "" : ", ") + n;
    if (Failed(ptr)) {
      p.status = "unknown";
      p.detail = "PTR query failed: " + Why(ptr);
      p.fix = "check the resolver, then ask again";
    } else if (std::find(ptr.names.begin(), ptr.names.end(), c.hostname) != ptr.names.end()) {
      p.status = "pass";
      p.detail = "PTR " + names;
    } else {
      p.status = "fail";
      p.detail = ptr.names.empty() ? "no PTR record" : "PTR is " + names;
      p.fix = "ask the provider of " + c.listen_ip + " to set its reverse DNS (PTR) to " +
              c.hostname + "; many receivers refuse mail from an IP without a matching PTR";
    }
    out.push_back(p);
    auto a = Ask(resolver, c.hostname, DnsType::kA);
    PreflightCheck f{"forward", c.hostname, "", "", ""};
    bool has = std::find(a.addresses.begin(), a.addresses.end(), ip) != a.addresses.end();
    if (Failed(a)) {
      f.status = "unknown";
      f.detail = "A query failed: " + Why(a);
      f.fix = "check the resolver, then ask again";
    } else if (has) {
      f.status = "pass";
      f.detail = c.hostname + " has A " + c.listen_ip + "; HELO is " + c.hostname;
    } else {
      f.status = "fail";
      f.detail = a.addresses.empty() ? c.hostname + " has no A record"
                                     : c.hostname + " does not point at " + c.listen_ip;
      f.fix = "publish 'A " + c.listen_ip + "' for " + c.hostname +
              " so PTR, A and HELO agree (forward-confirmed reverse DNS)";
    }
    out.push_back(f);
  }
  std::map<std::string, bool> spf_pass, dkim_pass;
  for (const auto& d : c.domains) {
    auto r = EvaluateSpf(resolver, d, ip);
    PreflightCheck s{
        "spf", d, "",
        "result " + r.result + ": " + r.reason + " (" + std::to_string(r.lookups) + " DNS lookups)",
        ""};
    if (r.result == "pass") {
      s.status = "pass";
      spf_pass[d] = true;
    } else if (r.result == "temperror") {
      s.status = "unknown";
      s.fix = "the DNS did not answer; ask again";
    } else {
      s.status = "fail";
      s.fix = r.result == "permerror"
                  ? "repair " + d + "'s SPF record (" + r.reason +
                        "), then add 'ip4:" + c.listen_ip + "' to it"
                  : "add 'ip4:" + c.listen_ip + "' to the SPF record of " + d +
                        " (before its all term), or receivers will treat relayed mail as forged";
    }
    out.push_back(s);
  }
  for (const auto& d : c.domains) {
    PreflightCheck k{"dkim", d, "", "", ""};
    if (c.dkim_selector.empty()) {
      k.status = "skipped";
      k.detail = "no dkim_selector in RELAY.ini";
      k.fix =
          "set up OpenDKIM and dkim_selector/dkim_key_file: without DKIM, DMARC rests on SPF "
          "alone";
      out.push_back(k);
      continue;
    }
    std::string name = c.dkim_selector + "._domainkey." + d;
    auto t = Ask(resolver, name, DnsType::kTxt);
    std::string rec;
    for (const auto& x : t.txt) {
      if (x.find("p=") != std::string::npos) rec = x;
    }
    if (Failed(t)) {
      k.status = "unknown";
      k.detail = "TXT " + name + ": " + Why(t);
      k.fix = "check the resolver, then ask again";
    } else if (rec.empty() || DkimKeyTag(rec).empty()) {
      k.status = "fail";
      k.detail = "no DKIM key at " + name;
      k.fix = "publish the public key of " + c.dkim_key_file + " as TXT at " + name +
              " (opendkim-genkey prints the record)";
    } else {
      std::string err = DkimSignatureTest(c.dkim_key_file, DkimKeyTag(rec));
      if (err.empty()) {
        k.status = "pass";
        k.detail = "key published at " + name + "; a test signature verifies";
        dkim_pass[d] = true;
      } else {
        k.status = "fail";
        k.detail = err;
        k.fix = "the key published at " + name + " is not the pair of " + c.dkim_key_file +
                ": publish the right public key or point dkim_key_file at the right file";
      }
    }
    out.push_back(k);
  }
  for (const auto& d : c.domains) {
    PreflightCheck m{"dmarc", d, "", "", ""};
    auto t = Ask(resolver, "_dmarc." + d, DnsType::kTxt);
    std::string rec;
    for (const auto& x : t.txt) {
      if (StartsWithNoCase(x, "v=dmarc1")) rec = x;
    }
    if (Failed(t)) {
      m.status = "unknown";
      m.detail = "TXT _dmarc." + d + ": " + Why(t);
      m.fix = "check the resolver, then ask again";
    } else if (rec.empty()) {
      m.status = "fail";
      m.detail = "no DMARC record at _dmarc." + d;
      m.fix = "publish 'v=DMARC1; p=none; rua=mailto:...' at _dmarc." + d +
              ": big mailbox providers expect one from bulk senders";
    } else if (dkim_pass[d] || spf_pass[d]) {
      m.status = "pass";
      m.detail = std::string("aligned through ") +
                 (dkim_pass[d] ? "DKIM (d=" + d + ")" : "SPF (envelope domain " + d + ")") +
                 "; record: " + rec;
    } else {
      m.status = "fail";
      m.detail = "neither SPF nor DKIM passes for " + d + ", so DMARC fails; record: " + rec;
      m.fix = "fix SPF or DKIM above; mail from the relay must pass one of them aligned with " + d;
    }
    out.push_back(m);
  }
  if (!o.zones.empty()) {
    auto target = dnsbl::DnsblTarget::Ip(c.listen_ip);
    auto run =
        dnsbl::RunChecks(o.zones, {*target}, resolver, dnsbl::CheckOptions{}, DefaultClock().Now());
    for (const auto& r : run.results) {
      PreflightCheck b{"dnsbl", r.zone, "", "", ""};
      switch (r.status) {
        case dnsbl::CheckStatus::kListed:
          b.status = "fail";
          b.detail = "listed" + (r.meaning.empty() ? "" : ": " + r.meaning);
          b.fix =
              "this IP is already listed: pick another clean IP, or request delisting first "
              "(mxir dnsbl delist)";
          break;
        case dnsbl::CheckStatus::kNotListed:
          b.status = "pass";
          b.detail = "not listed (test points answered)";
          break;
        default:
          b.status = "unknown";
          b.detail = std::string(dnsbl::CheckStatusName(r.status)) +
                     (r.meaning.empty() ? "" : ": " + r.meaning);
          b.fix =
              "the list did not answer usably (a refusal or an error is not a listing): use "
              "your own resolver (--resolver) and ask again";
      }
      out.push_back(b);
    }
  }
  if (o.company_queue) {
    int from_investigated = 0, bounces = 0;
    for (const auto& m : *o.company_queue) {
      if (m.sender.empty() || Lower(m.sender) == "mailer-daemon") ++bounces;
      if (o.investigated.count(Lower(m.sender))) ++from_investigated;
    }
    PreflightCheck q{"backlog", "company queue", "", "", ""};
    q.detail = std::to_string(o.company_queue->size()) + " queued, " +
               std::to_string(from_investigated) + " from accounts under investigation, " +
               std::to_string(bounces) + " bounces";
    if (from_investigated > 0 || bounces > o.max_bounces) {
      q.status = "fail";
      q.fix =
          "purge that backlog before pointing the company MTA at the relay (mxir reset purge "
          "ACCOUNT --provider postfix, or postsuper -d), or it goes out through the clean IP "
          "and gets it listed";
    } else {
      q.status = "pass";
    }
    out.push_back(q);
  }
  return out;
}

nlohmann::ordered_json PreflightJson(const PreflightCheck& c) {
  return {{"check", c.check},
          {"target", c.target},
          {"status", c.status},
          {"detail", c.detail},
          {"fix", c.fix}};
}

}  // namespace mxir::relay
