// CaseRecorder: writes blocklist results and delisting steps into a case (casedb/dnsbl_store.h)
// and the audit trail (casedb/action_log.h), one transaction per call, so a case never holds a
// check without its workflow update.
//
// RecordResults() stores every result with its time, moves each (target, zone) through the
// workflow (delisting.h) and returns the changes a watcher alerts on: new_listing, delisted,
// relisted. Each change is also an action "dnsbl.<event>" in the audit trail.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "dnsbl/checker.h"
#include "dnsbl/delisting.h"

namespace mxir::dnsbl {

struct ListingChange {
  Timestamp ts;
  std::string target, zone, list, event, from_state, to_state;
  std::vector<std::string> codes;
  std::string meaning;
  int64_t relist_count = 0;
};
nlohmann::ordered_json ListingChangeJson(const ListingChange& c);

Result<std::vector<ListingChange>> RecordResults(casedb::CaseDb& c,
                                                 const std::vector<CheckResult>& results,
                                                 const std::string& tool);

// `mxir dnsbl delist note|request`: the pair must have a recorded listing.
Result<casedb::DelistingRow> RecordNote(casedb::CaseDb& c, const std::string& target,
                                        const std::string& zone, const std::string& text,
                                        bool fixed, const std::string& tool);
Result<casedb::DelistingRow> RecordRequest(casedb::CaseDb& c, const std::string& target,
                                           const std::string& zone, const std::string& how,
                                           const std::string& ref, bool force,
                                           const std::string& tool);

}  // namespace mxir::dnsbl
