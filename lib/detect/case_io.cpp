#include "detect/case_io.h"

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/event_store.h"
#include "casedb/finding_store.h"
#include "casedb/sqlite.h"

namespace mxir::detect {

Status AddCaseLocality(casedb::CaseDb& c, Locality* loc) {
  casedb::AssetStore assets(c);
  MXIR_ASSIGN_OR_RETURN(auto list, assets.List());
  for (const auto& a : list) {
    if (a.kind == casedb::AssetKind::kIp || a.kind == casedb::AssetKind::kNetwork) {
      MXIR_RETURN_IF_ERROR(loc->AddInternal(a.value));
    } else if (a.kind == casedb::AssetKind::kDomain) {
      MXIR_RETURN_IF_ERROR(loc->AddLocalDomain(a.value));
    }
  }
  return Status::Ok();
}

Status FeedCaseEvents(casedb::CaseDb& c, std::optional<Timestamp> since,
                      std::optional<Timestamp> until, DetectEngine* engine) {
  int64_t skipped = 0;
  casedb::EventFilter filter{since, until};
  MXIR_RETURN_IF_ERROR(casedb::ForEachEvent(
      c, filter,
      [&](const Event& e) {
        engine->Add(e);
        return true;
      },
      &skipped));
  if (skipped) engine->counters().Add("skipped.bad_stored_event", skipped);
  return Status::Ok();
}

Result<StoreSummary> StoreResult(casedb::CaseDb& c, const DetectResult& result) {
  StoreSummary s;
  casedb::Transaction tx(c.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  auto body = [&]() -> Status {
    casedb::FindingStore findings(c);
    for (const Finding& f : result.findings) {
      MXIR_ASSIGN_OR_RETURN(bool added, findings.Upsert(f));
      ++(added ? s.added : s.updated);
    }
    casedb::AssetStore assets(c);
    for (const auto& l : result.listed) {
      MXIR_ASSIGN_OR_RETURN(bool added,
                            assets.Add(casedb::AssetKind::kIp, l.ip, "listed on " + l.list,
                                       "mxir detect (remote_blocklisting)"));
      s.assets_added += added;
    }
    nlohmann::ordered_json details;
    details["findings"] = result.findings.size();
    details["added"] = s.added;
    details["updated"] = s.updated;
    details["assets_added"] = s.assets_added;
    return casedb::ActionLog(c).Record("detect", c.path(), "store findings", "ok", details);
  };
  MXIR_RETURN_IF_ERROR(body());  // the Transaction rolls back when not committed
  MXIR_RETURN_IF_ERROR(tx.Commit());
  return s;
}

}  // namespace mxir::detect
