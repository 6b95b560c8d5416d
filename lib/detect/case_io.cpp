#include "detect/case_io.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <unordered_set>

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/event_reader.h"
#include "casedb/finding_store.h"
#include "casedb/sqlite.h"
#include "detect/runaway_guard.h"

namespace mxir::detect {

Status AddCaseLocality(casedb::CaseDb& c, Locality* loc, std::string* signature) {
  casedb::AssetStore assets(c);
  MXIR_ASSIGN_OR_RETURN(auto list, assets.List());
  if (signature) signature->clear();
  for (const auto& a : list) {
    if (signature) {
      *signature += std::to_string(static_cast<int>(a.kind));
      *signature += ' ';
      *signature += a.value;
      *signature += '\n';
    }
    if (a.kind == casedb::AssetKind::kIp || a.kind == casedb::AssetKind::kNetwork) {
      MXIR_RETURN_IF_ERROR(loc->AddInternal(a.value));
    } else if (a.kind == casedb::AssetKind::kDomain) {
      MXIR_RETURN_IF_ERROR(loc->AddLocalDomain(a.value));
    }
  }
  return Status::Ok();
}

Status FeedCaseEvents(casedb::CaseDb& c, std::optional<Timestamp> since,
                      std::optional<Timestamp> until, DetectEngine* engine, FeedControl* control) {
  int64_t skipped = 0;
  casedb::EventFilter filter{since, until};
  if (control) {
    filter.after_id = control->after_id;
    control->last_id = std::max(control->last_id, control->after_id);
  }
  int64_t n = 0;
  MXIR_RETURN_IF_ERROR(casedb::ForEachEventReadAhead(
      c, filter,
      [&](const Event& e) {
        engine->Add(e);
        if (control && (++n & 4095) == 0) {
          control->fed = n;
          if (control->progress) control->progress->Update(static_cast<uint64_t>(n));
          if (control->stop && control->stop->load(std::memory_order_relaxed)) {
            control->interrupted = true;
            return false;
          }
        }
        return true;
      },
      &skipped, control ? &control->last_id : nullptr));
  if (control) {
    control->fed = n;
    if (control->progress) control->progress->Finish(static_cast<uint64_t>(n));
  }
  if (skipped) engine->counters().Add("skipped.bad_stored_event", skipped);
  return Status::Ok();
}

namespace {

// Every field equal: the finding would be stored as it is.
bool SameFinding(const Finding& a, const Finding& b) {
  return a.id == b.id && a.kind == b.kind && a.severity == b.severity &&
         a.client_ip == b.client_ip && a.user == b.user && a.users == b.users &&
         a.first_seen.micros() == b.first_seen.micros() &&
         a.last_seen.micros() == b.last_seen.micros() && a.explanation == b.explanation &&
         a.next_steps == b.next_steps && a.playbook == b.playbook && a.counts == b.counts &&
         a.evidence == b.evidence;
}

// Every stored finding's status (kept out of StoreResult's body: inlined there, GCC 12 warns
// wrongly about freeing the error message of the Result).
[[gnu::noinline]] Status LoadStatuses(casedb::FindingStore& findings,
                                      std::unordered_map<std::string, std::string>* status) {
  MXIR_ASSIGN_OR_RETURN(*status, findings.Statuses());
  return Status::Ok();
}

}  // namespace

Result<StoreSummary> StoreResult(casedb::CaseDb& c, const DetectResult& result,
                                 const JudgeStored& judge, StoredFindings* cache) {
  StoreSummary s;
  std::vector<const Finding*> written;  // for the cache, once committed
  casedb::Transaction tx(c.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  auto body = [&]() -> Status {
    casedb::FindingStore findings(c);
    std::set<std::string> supported;
    // With a cache: the status of every stored finding now (someone may have resolved or removed
    // one since this process stored it), and the findings' JSON as stored last time.
    std::unordered_map<std::string, std::string> status;
    if (cache && !cache->last.empty()) MXIR_RETURN_IF_ERROR(LoadStatuses(findings, &status));
    for (const Finding& f : result.findings) {
      if (cache) {
        auto was = cache->last.find(f.id);
        auto st = status.find(f.id);
        const bool same = was != cache->last.end() && SameFinding(was->second, f) &&
                          st != status.end() && st->second != casedb::kFindingResolved;
        if (!same) written.push_back(&f);
        if (same) {
          ++s.unchanged;
          supported.insert(f.id);
          continue;
        }
      }
      MXIR_ASSIGN_OR_RETURN(casedb::UpsertResult r, findings.UpsertDetailed(f));
      ++(r.added ? s.added : s.updated);
      supported.insert(f.id);
      if (r.reactivated) s.reactivated.push_back(f.id);
      if (r.status == casedb::kFindingDismissed) s.dismissed.push_back(f.id);
      if (!r.added && r.old_severity != SeverityName(f.severity)) {
        s.changed.push_back({f.id, r.old_severity, SeverityName(f.severity)});
      }
    }
    if (judge.judge) {
      std::string why = "a detect run on " + c.clock().Now().ToString() +
                        " no longer finds it in the case's events";
      why += judge.settings.empty() ? " (default settings)" : " (with " + judge.settings + ")";
      MXIR_ASSIGN_OR_RETURN(s.resolved,
                            findings.ResolveUnsupported(supported, why, judge.since, judge.until));
    }
    casedb::AssetStore assets(c);
    for (const auto& l : result.listed) {
      if (s.assets_added >= static_cast<int64_t>(kMaxAutoAssets)) {
        ++s.assets_over_cap;  // runaway input: see runaway_guard.h
        continue;
      }
      MXIR_ASSIGN_OR_RETURN(bool added,
                            assets.Add(casedb::AssetKind::kIp, l.ip, "listed on " + l.list,
                                       "mxir detect (remote_blocklisting)"));
      s.assets_added += added;
    }
    nlohmann::ordered_json details;
    details["findings"] = result.findings.size();
    details["added"] = s.added;
    details["updated"] = s.updated;
    if (cache) details["unchanged"] = s.unchanged;
    details["assets_added"] = s.assets_added;
    if (!s.resolved.empty()) details["resolved"] = s.resolved;
    if (!s.reactivated.empty()) details["reactivated"] = s.reactivated;
    if (!s.changed.empty()) {
      details["severity_changed"] = nlohmann::ordered_json::array();
      for (const auto& ch : s.changed) {
        details["severity_changed"].push_back({{"id", ch.id}, {"from", ch.from}, {"to", ch.to}});
      }
    }
    if (s.assets_over_cap > 0) details["assets_over_cap"] = s.assets_over_cap;
    return casedb::ActionLog(c).Record("detect", c.path(), "store findings", "ok", details);
  };
  MXIR_RETURN_IF_ERROR(body());  // the Transaction rolls back when not committed
  MXIR_RETURN_IF_ERROR(tx.Commit());
  if (cache) {
    // The cache holds this result's findings: the ones written are copied in, those the result
    // no longer has are dropped.
    std::unordered_set<std::string_view> now;
    for (const Finding& f : result.findings) now.insert(f.id);
    for (auto it = cache->last.begin(); it != cache->last.end();) {
      it = now.count(it->first) ? std::next(it) : cache->last.erase(it);
    }
    for (const Finding* f : written) cache->last.insert_or_assign(f->id, *f);
  }
  return s;
}

}  // namespace mxir::detect
