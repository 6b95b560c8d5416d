// A run's inputs: typed values given with --input or taken from the case (its finding, assets
// and title), checked against the runbook's declarations.
#include "playbook/run_inputs.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>

#include "casedb/asset_store.h"
#include "casedb/case_meta.h"
#include "casedb/finding_store.h"
#include "core/finding.h"
#include "core/ip_address.h"

namespace mxir::playbook::internal {

using nlohmann::json;
using nlohmann::ordered_json;

// Checks and converts a typed value (answers and inputs).
Result<json> Coerce(const std::string& type, const std::vector<std::string>& choices,
                    const std::string& text) {
  std::string t = text;
  if (type == "bool") {
    std::string l;
    for (char ch : t) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (l == "yes" || l == "y" || l == "true") return json(true);
    if (l == "no" || l == "n" || l == "false") return json(false);
    return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not yes or no");
  }
  if (type == "int") {
    char* end = nullptr;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || !end || *end)
      return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not a whole number");
    return json(v);
  }
  if (type == "choice" || !choices.empty()) {
    if (std::find(choices.begin(), choices.end(), t) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
      return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not one of: " + list);
    }
    return json(t);
  }
  if (type == "email" && (t.find('@') == std::string::npos || t.front() == '@' || t.back() == '@'))
    return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not a mail address");
  if ((type == "ip" || type == "ipv4" || type == "ipv6")) {
    auto ip = IpAddress::Parse(t);
    if (!ip) return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not an IP address");
    return json(ip->ToString());
  }
  if (type == "domain" && (t.empty() || t.find_first_of(" /@") != std::string::npos))
    return MakeError(ErrorCode::kInvalidInput, "'" + text + "' is not a domain name");
  return json(t);
}

Result<ordered_json> ResolveInputs(casedb::CaseDb& case_db, const Runbook& rb,
                                   const RunOptions& o) {
  ordered_json out = ordered_json::object();
  std::optional<ordered_json> finding;
  casedb::FindingStore fs(case_db);
  MXIR_ASSIGN_OR_RETURN(auto findings, fs.List());
  const Finding* best = nullptr;
  for (const auto& f : findings) {
    if (!o.finding_id.empty()) {
      if (f.id == o.finding_id) best = &f;
      continue;
    }
    if (f.playbook != rb.id) continue;
    if (!best || f.severity > best->severity ||
        (f.severity == best->severity && best->last_seen < f.last_seen))
      best = &f;
  }
  if (!o.finding_id.empty() && !best)
    return MakeError(ErrorCode::kNotFound, "no finding '" + o.finding_id + "' in the case");
  if (best) {
    finding = FindingToJson(*best);
    out["finding"] = best->id;
  }
  casedb::AssetStore assets(case_db);
  MXIR_ASSIGN_OR_RETURN(auto all_assets, assets.List());
  casedb::CaseMeta meta(case_db);
  MXIR_ASSIGN_OR_RETURN(std::string title, meta.Get("title"));
  auto from_case = [&](const std::string& from) -> std::optional<json> {
    if (from == "case.path") return json(case_db.path());
    if (from == "case.title") return json(title);
    if (from.rfind("finding.", 0) == 0) {
      if (!finding) return std::nullopt;
      json cur = *finding;
      std::string rest = from.substr(8);
      size_t i = 0;
      while (i <= rest.size()) {
        size_t dot = rest.find('.', i);
        std::string k = rest.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
        if (!cur.is_object() || !cur.contains(k)) return std::nullopt;
        cur = cur[k];
        if (dot == std::string::npos) break;
        i = dot + 1;
      }
      if (cur.is_null() || (cur.is_string() && cur.get<std::string>().empty())) return std::nullopt;
      return cur;
    }
    static const std::map<std::string, casedb::AssetKind> kinds = {
        {"ip", casedb::AssetKind::kIp},
        {"domain", casedb::AssetKind::kDomain},
        {"account", casedb::AssetKind::kAccount},
        {"network", casedb::AssetKind::kNetwork}};
    std::string k = from.substr(5);
    bool many = !k.empty() && k.back() == 's';
    if (many) k.pop_back();
    auto it = kinds.find(k);
    if (it == kinds.end()) return std::nullopt;
    json list = json::array();
    for (const auto& a : all_assets)
      if (a.kind == it->second) list.push_back(a.value);
    if (list.empty()) return std::nullopt;
    if (many) return list;
    return list[0];
  };
  for (const auto& in : rb.inputs) {
    std::optional<json> v;
    std::string how;
    auto given = o.inputs.find(in.name);
    if (given != o.inputs.end()) {
      auto c = Coerce(in.type, in.choices, given->second);
      if (!c.ok())
        return MakeError(ErrorCode::kInvalidInput, "--input " + in.name + ": " + c.error().message);
      v = *c;
    } else if (!in.from.empty()) {
      v = from_case(in.from);
      if (v && v->is_string()) {
        auto c = Coerce(in.type, in.choices, v->get<std::string>());
        if (!c.ok())
          return MakeError(ErrorCode::kInvalidInput, "input '" + in.name + "' from " + in.from +
                                                         ": " + c.error().message +
                                                         "; give --input " + in.name + "=VALUE");
        v = *c;
      }
    }
    if (!v) {
      if (in.required && !o.dry_run)
        return MakeError(
            ErrorCode::kInvalidInput,
            "input '" + in.name + "' (" + in.describe + ") has no value" +
                (in.from.empty() ? std::string() : ": the case has nothing for " + in.from) +
                "; give it with --input " + in.name + "=VALUE");
      continue;
    }
    out[in.name] = *v;
  }
  for (const auto& given : o.inputs) {
    const std::string& k = given.first;  // (clang 14 cannot capture a structured binding)
    bool known = std::any_of(rb.inputs.begin(), rb.inputs.end(),
                             [&](const Input& i) { return i.name == k; });
    if (!known)
      return MakeError(ErrorCode::kUsage,
                       "--input " + k + ": the runbook '" + rb.id + "' has no input of that name");
  }
  return out;
}

}  // namespace mxir::playbook::internal
