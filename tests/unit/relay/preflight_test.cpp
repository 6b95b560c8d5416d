// Preflight with a table resolver: SPF evaluation (includes, redirect, mx, the 10-lookup and void
// limits, macros), PTR/A agreement, DMARC alignment, DNSBL refused = unknown, the backlog.
#include "relay/preflight.h"

#include <map>

#include <gtest/gtest.h>

#include "test_config.h"

namespace mxir::relay {
namespace {

using dnsbl::DnsAnswer;
using dnsbl::DnsOutcome;
using dnsbl::DnsType;

class TableResolver final : public dnsbl::Resolver {
 public:
  void A(const std::string& n, std::vector<std::string> ips) {
    auto& a = t_[{DnsType::kA, n}];
    a.outcome = DnsOutcome::kAnswer;
    for (auto& i : ips) a.addresses.push_back(*IpAddress::Parse(i));
  }
  void Txt(const std::string& n, std::vector<std::string> v) {
    auto& a = t_[{DnsType::kTxt, n}];
    a.outcome = DnsOutcome::kAnswer;
    a.txt = std::move(v);
  }
  void Names(DnsType t, const std::string& n, std::vector<std::string> v) {
    auto& a = t_[{t, n}];
    a.outcome = DnsOutcome::kAnswer;
    a.names = std::move(v);
  }
  void Outcome(DnsType t, const std::string& n, DnsOutcome o) { t_[{t, n}].outcome = o; }
  std::vector<DnsAnswer> ResolveAll(const std::vector<dnsbl::DnsQuery>& qs) override {
    std::vector<DnsAnswer> out;
    for (const auto& q : qs) {
      ++queries;
      auto it = t_.find({q.type, q.name});
      DnsAnswer a;
      a.outcome = DnsOutcome::kNxDomain;
      out.push_back(it == t_.end() ? a : it->second);
    }
    return out;
  }
  int queries = 0;

 private:
  std::map<std::pair<DnsType, std::string>, DnsAnswer> t_;
};

const IpAddress kIp = *IpAddress::Parse("192.0.2.25");

TEST(Spf, EvaluatesMechanismsNotText) {
  TableResolver r;
  r.Txt("a.example", {"v=spf1 ip4:192.0.2.0/24 -all"});
  EXPECT_EQ(EvaluateSpf(r, "a.example", kIp).result, "pass");
  // The IP appears as text but in a term that does not match it.
  r.Txt("b.example", {"v=spf1 ip4:198.51.100.25 exists:192.0.2.25.x.example -all"});
  EXPECT_EQ(EvaluateSpf(r, "b.example", kIp).result, "fail");
  r.Txt("c.example", {"v=spf1 include:spf.provider.example ~all"});
  r.Txt("spf.provider.example", {"v=spf1 a:out.provider.example mx -all"});
  r.A("out.provider.example", {"192.0.2.30"});
  r.Names(DnsType::kMx, "spf.provider.example", {"mx1.provider.example"});
  r.A("mx1.provider.example", {"192.0.2.25"});
  auto c = EvaluateSpf(r, "c.example", kIp);
  EXPECT_EQ(c.result, "pass") << c.reason;
  EXPECT_EQ(c.lookups, 3);
  r.A("out.provider.example", {"192.0.2.0"});
  r.Txt("d.example", {"v=spf1 a:out.provider.example/24 -all"});
  EXPECT_EQ(EvaluateSpf(r, "d.example", kIp).result, "pass");
  r.Txt("e.example", {"v=spf1 redirect=c.example"});
  EXPECT_EQ(EvaluateSpf(r, "e.example", kIp).result, "pass");
  EXPECT_EQ(EvaluateSpf(r, "none.example", kIp).result, "none");
  r.Txt("two.example", {"v=spf1 -all", "v=spf1 +all"});
  EXPECT_EQ(EvaluateSpf(r, "two.example", kIp).result, "permerror");
  r.Txt("macro.example", {"v=spf1 exists:%{i}.spf.example -all"});
  EXPECT_EQ(EvaluateSpf(r, "macro.example", kIp).result, "permerror");
  r.Txt("soft.example", {"v=spf1 ~all"});
  EXPECT_EQ(EvaluateSpf(r, "soft.example", kIp).result, "softfail");
  r.Outcome(DnsType::kTxt, "broken.example", DnsOutcome::kServFail);
  EXPECT_EQ(EvaluateSpf(r, "broken.example", kIp).result, "temperror");
}

TEST(Spf, TenLookupLimitAndVoidLimit) {
  TableResolver r;
  std::string rec = "v=spf1";
  for (int i = 0; i < 11; ++i) {
    std::string n = "i" + std::to_string(i) + ".example";
    r.Txt(n, {"v=spf1 ip4:198.51.100.1 -all"});
    rec += " include:" + n;
  }
  r.Txt("many.example", {rec + " ip4:192.0.2.25 -all"});
  auto m = EvaluateSpf(r, "many.example", kIp);
  EXPECT_EQ(m.result, "permerror");
  EXPECT_NE(m.reason.find("10"), std::string::npos);
  // Exactly 10 is fine.
  std::string ten = "v=spf1";
  for (int i = 0; i < 10; ++i) ten += " include:i" + std::to_string(i) + ".example";
  r.Txt("ten.example", {ten + " ip4:192.0.2.25 -all"});
  EXPECT_EQ(EvaluateSpf(r, "ten.example", kIp).result, "pass");
  r.Txt("void.example", {"v=spf1 a:v1.example a:v2.example a:v3.example ip4:192.0.2.25 -all"});
  EXPECT_EQ(EvaluateSpf(r, "void.example", kIp).result, "permerror");
}

std::map<std::string, std::string> StatusOf(const std::vector<PreflightCheck>& cs) {
  std::map<std::string, std::string> m;
  for (const auto& c : cs) m[c.check + " " + c.target] = c.status;
  return m;
}

TEST(Preflight, ReadyPathPassesAndEachBreakageFailsWithAFix) {
  auto cfg = testing::TestConfig();  // 192.0.2.25, relay.company.example, 2 domains
  TableResolver r;
  r.Names(DnsType::kPtr, "25.2.0.192.in-addr.arpa", {"relay.company.example"});
  r.A("relay.company.example", {"192.0.2.25"});
  for (const char* d : {"company.example", "company2.example"}) {
    r.Txt(d, {"v=spf1 ip4:192.0.2.25 -all"});
    r.Txt(std::string("_dmarc.") + d, {"v=DMARC1; p=quarantine"});
  }
  auto ok = RunPreflight(cfg, r, {});
  for (const auto& c : ok) {
    if (c.check == "dkim") {
      EXPECT_EQ(c.status, "skipped");
    } else {
      EXPECT_EQ(c.status, "pass") << c.check << " " << c.target << ": " << c.detail;
    }
  }
  r.Names(DnsType::kPtr, "25.2.0.192.in-addr.arpa", {"host-25.isp.example"});
  r.Txt("company2.example", {"v=spf1 ip4:198.51.100.0/24 -all"});
  r.Txt("_dmarc.company.example", {"not dmarc"});
  auto bad = RunPreflight(cfg, r, {});
  auto s = StatusOf(bad);
  EXPECT_EQ(s["ptr 192.0.2.25"], "fail");
  EXPECT_EQ(s["spf company2.example"], "fail");
  EXPECT_EQ(s["dmarc company2.example"], "fail");  // SPF fails and no DKIM
  EXPECT_EQ(s["dmarc company.example"], "fail");   // no record
  for (const auto& c : bad) {
    if (c.status == "fail") {
      EXPECT_FALSE(c.fix.empty()) << c.check;
    }
  }
}

TEST(Preflight, BlocklistRefusalIsUnknownAndListingFails) {
  auto cfg = testing::TestConfig();
  TableResolver r;
  auto zone = [](const char* z, std::vector<dnsbl::CodeRule> codes) {
    dnsbl::DnsblZone d;
    d.id = z;
    d.zone = z;
    d.ip4 = true;
    d.codes = std::move(codes);
    d.state = dnsbl::ZoneState::kActive;
    return d;
  };
  uint32_t t2 = 0x7f000002, refused = 0x7ffffffe;
  std::vector<dnsbl::CodeRule> codes = {
      {t2, 0x7f0000ff, dnsbl::CheckStatus::kListed, "listed"},
      {refused, refused, dnsbl::CheckStatus::kRefused, "refused"}};
  PreflightOptions o;
  o.zones = {zone("clean.bl.example", codes), zone("dirty.bl.example", codes),
             zone("angry.bl.example", codes)};
  for (const char* z : {"clean.bl.example", "dirty.bl.example"}) {
    r.A(std::string("2.0.0.127.") + z, {"127.0.0.2"});
  }
  r.A("25.2.0.192.dirty.bl.example", {"127.0.0.2"});
  r.A("2.0.0.127.angry.bl.example", {"127.255.255.254"});
  r.A("25.2.0.192.angry.bl.example", {"127.255.255.254"});
  auto s = StatusOf(RunPreflight(cfg, r, o));
  EXPECT_EQ(s["dnsbl clean.bl.example"], "pass");
  EXPECT_EQ(s["dnsbl dirty.bl.example"], "fail");
  EXPECT_EQ(s["dnsbl angry.bl.example"], "unknown");
}

TEST(Preflight, BacklogFromInvestigatedAccountFails) {
  auto cfg = testing::TestConfig();
  TableResolver r;
  std::vector<QueuedMessage> q(3);
  q[0].sender = "bob@company.example";
  q[1].sender = "Mallory@company.example";
  PreflightOptions o;
  o.investigated = {"mallory@company.example"};
  o.company_queue = &q;
  EXPECT_EQ(StatusOf(RunPreflight(cfg, r, o))["backlog company queue"], "fail");
  q[1].sender = "carol@company.example";
  EXPECT_EQ(StatusOf(RunPreflight(cfg, r, o))["backlog company queue"], "pass");
}

}  // namespace
}  // namespace mxir::relay
