#include "relay/preflight.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/clock.h"
#include "dnsbl/checker.h"
#include "dnsbl/target.h"
#include "relay/dkim_key_check.h"
#include "relay/preflight_dns.h"

namespace mxir::relay {

namespace {

using dnsbl::DnsType;
using preflight_dns::Ask;
using preflight_dns::Failed;
using preflight_dns::StartsWithNoCase;
using preflight_dns::Why;

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

}  // namespace

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
