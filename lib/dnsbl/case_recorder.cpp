#include "dnsbl/case_recorder.h"

#include "casedb/action_log.h"
#include "casedb/dnsbl_store.h"

namespace mxir::dnsbl {

namespace {

Status AddEvent(casedb::DnsblStore& store, casedb::ActionLog& log, const std::string& tool,
                const casedb::DelistingRow& row, const Transition& t, Timestamp ts,
                nlohmann::ordered_json details) {
  casedb::DelistingEventRow e;
  e.ts = ts;
  e.target = row.target;
  e.zone = row.zone;
  e.event = t.event;
  e.from_state = t.from_state;
  e.to_state = t.to_state;
  e.details = details;
  MXIR_RETURN_IF_ERROR(store.AddDelistingEvent(e));
  details["zone"] = row.zone;
  details["from_state"] = t.from_state;
  details["to_state"] = t.to_state;
  if (row.relist_count > 0) details["relist_count"] = row.relist_count;
  return log.Record(tool, row.target, std::string("dnsbl.") + t.event, "ok", details);
}

Result<casedb::DelistingRow> LoadListed(casedb::DnsblStore& store, const std::string& target,
                                        const std::string& zone) {
  MXIR_ASSIGN_OR_RETURN(auto row, store.GetDelisting(target, zone));
  if (!row) {
    return MakeError(ErrorCode::kNotFound,
                     "the case has no listing of " + target + " on " + zone +
                         " (run `mxir dnsbl watch` or `mxir dnsbl check --case` first; see "
                         "`mxir dnsbl delist status`)");
  }
  return *row;
}

}  // namespace

nlohmann::ordered_json ListingChangeJson(const ListingChange& c) {
  nlohmann::ordered_json j;
  j["ts"] = c.ts.ToString();
  j["event"] = c.event;
  j["target"] = c.target;
  j["zone"] = c.zone;
  j["list"] = c.list;
  j["from_state"] = c.from_state;
  j["to_state"] = c.to_state;
  j["codes"] = c.codes;
  j["meaning"] = c.meaning;
  j["relist_count"] = c.relist_count;
  return j;
}

Result<std::vector<ListingChange>> RecordResults(casedb::CaseDb& c,
                                                 const std::vector<CheckResult>& results,
                                                 const std::string& tool) {
  casedb::DnsblStore store(c);
  casedb::ActionLog log(c);
  casedb::Transaction tx(c.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  std::vector<ListingChange> changes;
  size_t counts[4] = {0, 0, 0, 0};
  for (const auto& r : results) {
    casedb::DnsblCheckRow row;
    row.ts = r.ts;
    row.target = r.target;
    row.zone = r.zone;
    row.list = r.zone_id;
    row.status = CheckStatusName(r.status);
    row.codes = r.codes;
    row.meaning = r.meaning;
    row.txt = r.txt;
    MXIR_RETURN_IF_ERROR(store.AddCheck(row));
    ++counts[static_cast<int>(r.status)];
    MXIR_ASSIGN_OR_RETURN(auto delisting, store.GetDelisting(r.target, r.zone));
    auto t = ApplyObservation(delisting, r.target, r.zone, r.zone_id, r.status, r.ts);
    if (delisting && (t || r.status == CheckStatus::kListed)) {
      MXIR_RETURN_IF_ERROR(store.PutDelisting(*delisting));
    }
    if (!t) continue;
    nlohmann::ordered_json details;
    details["codes"] = r.codes;
    details["meaning"] = r.meaning;
    MXIR_RETURN_IF_ERROR(AddEvent(store, log, tool, *delisting, *t, r.ts, details));
    changes.push_back(ListingChange{r.ts, r.target, r.zone, r.zone_id, t->event, t->from_state,
                                    t->to_state, r.codes, r.meaning, delisting->relist_count});
  }
  nlohmann::ordered_json summary;
  summary["results"] = results.size();
  summary["listed"] = counts[static_cast<int>(CheckStatus::kListed)];
  summary["not_listed"] = counts[static_cast<int>(CheckStatus::kNotListed)];
  summary["refused"] = counts[static_cast<int>(CheckStatus::kRefused)];
  summary["error"] = counts[static_cast<int>(CheckStatus::kError)];
  summary["changes"] = changes.size();
  MXIR_RETURN_IF_ERROR(log.Record(tool, "dnsbl", "dnsbl.check", "ok", summary));
  MXIR_RETURN_IF_ERROR(tx.Commit());
  return changes;
}

Result<casedb::DelistingRow> RecordNote(casedb::CaseDb& c, const std::string& target,
                                        const std::string& zone, const std::string& text,
                                        bool fixed, const std::string& tool) {
  casedb::DnsblStore store(c);
  casedb::ActionLog log(c);
  casedb::Transaction tx(c.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  MXIR_ASSIGN_OR_RETURN(casedb::DelistingRow row, LoadListed(store, target, zone));
  Timestamp now = c.clock().Now();
  MXIR_ASSIGN_OR_RETURN(Transition t, ApplyNote(row, text, fixed, now));
  MXIR_RETURN_IF_ERROR(store.PutDelisting(row));
  nlohmann::ordered_json details;
  details["text"] = text;
  MXIR_RETURN_IF_ERROR(AddEvent(store, log, tool, row, t, now, details));
  MXIR_RETURN_IF_ERROR(tx.Commit());
  return row;
}

Result<casedb::DelistingRow> RecordRequest(casedb::CaseDb& c, const std::string& target,
                                           const std::string& zone, const std::string& how,
                                           const std::string& ref, bool force,
                                           const std::string& tool) {
  casedb::DnsblStore store(c);
  casedb::ActionLog log(c);
  casedb::Transaction tx(c.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  MXIR_ASSIGN_OR_RETURN(casedb::DelistingRow row, LoadListed(store, target, zone));
  Timestamp now = c.clock().Now();
  MXIR_ASSIGN_OR_RETURN(Transition t, ApplyRequest(row, how, ref, force, now));
  MXIR_RETURN_IF_ERROR(store.PutDelisting(row));
  nlohmann::ordered_json details;
  details["how"] = how;
  details["ref"] = ref;
  if (force) details["forced"] = true;
  MXIR_RETURN_IF_ERROR(AddEvent(store, log, tool, row, t, now, details));
  MXIR_RETURN_IF_ERROR(tx.Commit());
  return row;
}

}  // namespace mxir::dnsbl
