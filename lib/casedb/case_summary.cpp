#include "casedb/case_summary.h"

#include <algorithm>

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/case_meta.h"
#include "casedb/event_reader.h"
#include "casedb/finding_store.h"
#include "casedb/schema.h"
#include "casedb/source_store.h"

namespace mxir::casedb {

using nlohmann::ordered_json;

Result<ordered_json> CaseSummary(CaseDb& c) {
  ordered_json j;
  CaseMeta meta(c);
  auto all = meta.All();
  if (!all.ok()) return all.error();
  j["case"] = c.path();
  for (const auto& [k, v] : *all) j[k] = v;
  auto version = ReadSchemaVersion(c.db());
  if (version.ok()) j["schema_version"] = *version;
  AssetStore assets(c);
  auto list = assets.List();
  if (!list.ok()) return list.error();
  ordered_json a = ordered_json::array();
  for (const auto& asset : *list) {
    a.push_back({{"kind", AssetKindName(asset.kind)},
                 {"value", asset.value},
                 {"note", asset.note},
                 {"source", asset.source},
                 {"added", asset.added.ToString()},
                 {"added_by", asset.added_by}});
  }
  j["assets"] = a;
  auto events = CountEvents(c);
  FindingStore findings(c);
  auto fs = findings.List();
  ActionLog log(c);
  auto actions = log.List();
  if (!events.ok() || !fs.ok() || !actions.ok()) {
    return MakeError(ErrorCode::kCorrupt, "the case could not be read completely");
  }
  j["events"] = *events;
  // Worst first, and the findings themselves (active ones), so the next step is visible.
  ordered_json by_sev = ordered_json::object();
  for (Severity sev :
       {Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow, Severity::kInfo}) {
    int n = 0;
    for (const auto& f : *fs) n += f.severity == sev;
    if (n) by_sev[SeverityName(sev)] = n;
  }
  j["findings"] = {{"total", fs->size()}, {"by_severity", by_sev}};
  auto stored = findings.ListStored();
  if (stored.ok()) {
    std::stable_sort(stored->begin(), stored->end(), [](const auto& a, const auto& b) {
      return a.finding.severity > b.finding.severity;
    });
    ordered_json list = ordered_json::array();
    for (const auto& sf : *stored) {
      list.push_back({{"id", sf.finding.id},
                      {"severity", SeverityName(sf.finding.severity)},
                      {"kind", sf.finding.kind},
                      {"host", sf.finding.client_ip},
                      {"account", sf.finding.user},
                      {"status", sf.status}});
    }
    j["findings"]["list"] = list;
  }
  j["actions"] = actions->size();
  SourceStore sources(c);
  auto srcs = sources.List();
  if (!srcs.ok()) return srcs.error();
  ordered_json sj = ordered_json::array();
  for (const auto& s : *srcs) {
    ordered_json o{{"path", s.path}};
    o["size"] = s.size >= 0 ? ordered_json(s.size) : ordered_json();
    o["sha256"] = s.sha256.empty() ? ordered_json() : ordered_json(s.sha256);
    o["first_seen"] = s.first_seen ? ordered_json(s.first_seen->ToString()) : ordered_json();
    o["last_seen"] = s.last_seen ? ordered_json(s.last_seen->ToString()) : ordered_json();
    o["records"] = s.records;
    o["events"] = s.events;
    o["stored"] = s.stored;
    o["tool"] = s.tool;
    o["read_at"] = s.read_at.ToString();
    sj.push_back(std::move(o));
  }
  j["sources"] = sj;
  return j;
}

}  // namespace mxir::casedb
