#include "dnsbl/checker.h"

#include <map>
#include <set>

namespace mxir::dnsbl {

namespace {

const char* KindName(DnsblTarget::Kind k) {
  switch (k) {
    case DnsblTarget::Kind::kIp4:
      return "ip4";
    case DnsblTarget::Kind::kIp6:
      return "ip6";
    case DnsblTarget::Kind::kDomain:
      return "domain";
  }
  return "ip4";
}

struct HealthQueries {
  size_t zone_index = 0;
  DnsblTarget::Kind kind = DnsblTarget::Kind::kIp4;
  std::string listed_name, unlisted_name;
  int listed_query = -1, unlisted_query = -1;
};

bool AllLoopback(const DnsAnswer& a) {
  for (const auto& ip : a.addresses) {
    if (!ip.is_v4() || (ip.v4_host_order() >> 24) != 127) return false;
  }
  return true;
}

ZoneHealth Evaluate(const DnsblZone& zone, const HealthQueries& h,
                    const std::vector<DnsAnswer>& answers) {
  ZoneHealth z{zone.zone, KindName(h.kind), CheckStatus::kNotListed, ""};
  if (h.unlisted_query >= 0) {
    const DnsAnswer& a = answers[static_cast<size_t>(h.unlisted_query)];
    Verdict v = Interpret(zone, a);
    if (v.status == CheckStatus::kRefused) {
      z.status = CheckStatus::kRefused;
      z.reason = "the zone refused its test-point query: " + v.meaning;
      return z;
    }
    if (v.status != CheckStatus::kNotListed) {
      z.status = CheckStatus::kError;
      if (a.outcome == DnsOutcome::kAnswer && AllLoopback(a)) {
        z.reason = "the zone lists its never-listed test point " + h.unlisted_name +
                   " (RFC 5782): it answers 'listed' for everything (a dead or "
                   "hijacked zone, or a resolver rewriting answers)";
      } else {
        z.reason =
            "the zone's never-listed test point " + h.unlisted_name + " failed: " + v.meaning;
      }
      return z;
    }
  }
  if (h.listed_query >= 0) {
    const DnsAnswer& a = answers[static_cast<size_t>(h.listed_query)];
    Verdict v = Interpret(zone, a);
    if (v.status == CheckStatus::kRefused) {
      z.status = CheckStatus::kRefused;
      z.reason = "the zone refused its test-point query: " + v.meaning;
    } else if (a.outcome == DnsOutcome::kNxDomain || a.outcome == DnsOutcome::kNoData) {
      z.status = CheckStatus::kError;
      z.reason = "the RFC 5782 test point " + h.listed_name +
                 " is not listed: the zone is dead, or the resolver silently blocks it (some "
                 "public resolvers answer NXDOMAIN for Spamhaus), so 'not listed' cannot be "
                 "trusted";
    } else if (a.outcome != DnsOutcome::kAnswer || !AllLoopback(a)) {
      z.status = CheckStatus::kError;
      z.reason = "the zone's RFC 5782 test point " + h.listed_name + " failed: " + v.meaning;
    }
  }
  return z;
}

}  // namespace

nlohmann::ordered_json CheckResultJson(const CheckResult& r, bool with_time) {
  nlohmann::ordered_json j;
  if (with_time) j["ts"] = r.ts.ToString();
  j["target"] = r.target;
  j["zone"] = r.zone;
  j["status"] = CheckStatusName(r.status);
  j["codes"] = r.codes;
  j["meaning"] = r.meaning;
  j["txt"] = r.txt.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.txt);
  j["list"] = r.zone_id;
  return j;
}

CheckRun RunChecks(const std::vector<DnsblZone>& zones, const std::vector<DnsblTarget>& targets,
                   Resolver& resolver, const CheckOptions& options, Timestamp now) {
  CheckRun run;
  std::vector<DnsQuery> queries;
  // Health test points: once per (zone, kind) that some target needs.
  std::vector<HealthQueries> health;
  std::map<std::pair<size_t, DnsblTarget::Kind>, size_t> health_index;
  struct Pair {
    size_t target, zone, query;
  };
  std::vector<Pair> pairs;
  std::set<std::string> seen;
  for (size_t t = 0; t < targets.size(); ++t) {
    if (!seen.insert(targets[t].text).second) continue;
    for (size_t z = 0; z < zones.size(); ++z) {
      auto name = QueryName(targets[t], zones[z]);
      if (!name.ok()) {
        ++run.skipped_not_covered;
        continue;
      }
      pairs.push_back({t, z, queries.size()});
      queries.push_back({*name, DnsType::kA, zones[z].server, zones[z].zone});
      auto key = std::make_pair(z, targets[t].kind);
      if (options.health_checks && !health_index.count(key)) {
        HealthQueries h;
        h.zone_index = z;
        h.kind = targets[t].kind;
        TestPoints tp = TestPointsFor(zones[z], targets[t].kind);
        if (tp.listed) {
          h.listed_name = tp.listed->text;
          h.listed_query = static_cast<int>(queries.size());
          queries.push_back(
              {*QueryName(*tp.listed, zones[z]), DnsType::kA, zones[z].server, zones[z].zone});
        }
        if (tp.unlisted) {
          h.unlisted_name = tp.unlisted->text;
          h.unlisted_query = static_cast<int>(queries.size());
          queries.push_back(
              {*QueryName(*tp.unlisted, zones[z]), DnsType::kA, zones[z].server, zones[z].zone});
        }
        health_index[key] = health.size();
        health.push_back(std::move(h));
      }
    }
  }
  std::vector<DnsAnswer> answers = resolver.ResolveAll(queries);
  run.queries = queries.size();
  if (answers.size() != queries.size()) answers.resize(queries.size());  // a broken fake
  std::vector<ZoneHealth> zone_health;
  for (const auto& h : health) {
    zone_health.push_back(Evaluate(zones[h.zone_index], h, answers));
  }
  run.health = zone_health;

  std::vector<DnsQuery> txt_queries;
  std::vector<size_t> txt_for;
  for (const auto& p : pairs) {
    const DnsblTarget& target = targets[p.target];
    const DnsblZone& zone = zones[p.zone];
    Verdict v = Interpret(zone, answers[p.query]);
    CheckResult r;
    r.ts = now;
    r.target = target.text;
    r.target_kind = target.is_ip() ? "ip" : "domain";
    r.zone = zone.zone;
    r.zone_id = zone.id;
    r.status = v.status;
    r.codes = v.codes;
    r.meaning = v.meaning;
    if (auto it = health_index.find({p.zone, target.kind}); it != health_index.end()) {
      const ZoneHealth& zh = zone_health[it->second];
      if (zh.status == CheckStatus::kError && r.status != CheckStatus::kRefused) {
        r.status = CheckStatus::kError;
        r.meaning = zh.reason;
      } else if (zh.status == CheckStatus::kRefused && r.status != CheckStatus::kRefused) {
        r.status = CheckStatus::kRefused;
        r.meaning = zh.reason;
      }
    }
    if (options.fetch_txt && zone.txt &&
        (r.status == CheckStatus::kListed || r.status == CheckStatus::kRefused)) {
      txt_for.push_back(run.results.size());
      txt_queries.push_back({queries[p.query].name, DnsType::kTxt, zone.server, zone.zone});
    }
    run.results.push_back(std::move(r));
  }
  if (!txt_queries.empty()) {
    std::vector<DnsAnswer> txt = resolver.ResolveAll(txt_queries);
    run.queries += txt_queries.size();
    for (size_t i = 0; i < txt_for.size() && i < txt.size(); ++i) {
      if (txt[i].outcome == DnsOutcome::kAnswer) run.results[txt_for[i]].txt = txt[i].txt;
    }
  }
  return run;
}

}  // namespace mxir::dnsbl
