// A Resolver that answers from a table (name -> A codes or an outcome) and records the queries.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dnsbl/resolver.h"

namespace mxir::dnsbl::testing {

class FakeResolver : public Resolver {
 public:
  void SetA(const std::string& name, std::vector<const char*> codes) {
    DnsAnswer a;
    a.outcome = DnsOutcome::kAnswer;
    for (const char* c : codes) a.addresses.push_back(*IpAddress::Parse(c));
    answers_[name] = a;
  }
  void SetOutcome(const std::string& name, DnsOutcome o) {
    DnsAnswer a;
    a.outcome = o;
    a.detail = DnsOutcomeName(o);
    answers_[name] = a;
  }
  // Every name under `suffix` without its own entry answers `codes` (a wildcard).
  void SetWildcard(const std::string& suffix, std::vector<const char*> codes) {
    wildcards_[suffix] = codes;
  }
  void SetTxt(const std::string& name, const std::string& txt) { txt_[name] = txt; }

  std::vector<DnsAnswer> ResolveAll(const std::vector<DnsQuery>& queries) override {
    std::vector<DnsAnswer> out;
    for (const auto& q : queries) {
      asked.push_back(q.name);
      DnsAnswer a;
      a.outcome = DnsOutcome::kNxDomain;
      if (q.type == DnsType::kTxt) {
        if (auto it = txt_.find(q.name); it != txt_.end()) {
          a.outcome = DnsOutcome::kAnswer;
          a.txt = {it->second};
        }
      } else if (auto it = answers_.find(q.name); it != answers_.end()) {
        a = it->second;
      } else {
        for (const auto& [suffix, codes] : wildcards_) {
          if (q.name.size() > suffix.size() &&
              q.name.compare(q.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            a.outcome = DnsOutcome::kAnswer;
            for (const char* c : codes) a.addresses.push_back(*IpAddress::Parse(c));
          }
        }
      }
      out.push_back(a);
    }
    return out;
  }

  std::vector<std::string> asked;

 private:
  std::map<std::string, DnsAnswer> answers_;
  std::map<std::string, std::vector<const char*>> wildcards_;
  std::map<std::string, std::string> txt_;
};

}  // namespace mxir::dnsbl::testing
