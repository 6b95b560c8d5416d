#include "capture_case.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "casedb/action_log.h"
#include "casedb/source_store.h"
#include "core/clock.h"

namespace mxir::tools {

Status RecordCaptureInCase(casedb::CaseDb& db, const CaptureRun& run) {
  const auto& inputs = *run.inputs;
  auto sha256_of = [&](const CaptureInput& in) {
    return run.hashes ? run.hashes->Of(in.name) : in.sha256;
  };
  Status first = Status::Ok();
  auto keep = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  // The SHA-256s were computed on a second thread; waited for only now, after every event.
  if (run.hashes) (void)run.hashes->Wait();

  casedb::SourceStore sources(db);
  Timestamp now = DefaultClock().Now();
  for (const auto& in : inputs) {
    casedb::SourceRecord r;
    r.path = in.name;
    struct stat st;
    if (!run.live && stat(in.name.c_str(), &st) == 0) r.size = static_cast<int64_t>(st.st_size);
    r.sha256 = sha256_of(in);
    for (const auto& span : run.sink->spans()) {
      if (span.file != in.name) continue;
      r.first_seen = span.first;
      r.last_seen = span.last;
      r.events = span.events;
    }
    if (inputs.size() == 1) {  // counters are per run, not per file
      r.records = run.packets;
      r.stored = run.store->inserted();
    }
    r.tool = run.live ? "capture (live)" : "capture";
    r.read_at = now;
    keep(sources.Add(r));
  }

  nlohmann::ordered_json details;
  details["inputs"] = nlohmann::ordered_json::array();
  for (const auto& in : inputs)
    details["inputs"].push_back({{"name", in.name}, {"sha256", sha256_of(in)}});
  details["packets"] = run.packets;
  details["smtp_sessions"] = run.smtp_sessions;
  details["events_inserted"] = run.store->inserted();
  details["events_duplicate"] = run.store->duplicates();
  // Every file, not the first only: the timeline says what was read.
  std::string target = "iface:" + run.iface;
  if (!run.live) {
    target.clear();
    for (const auto& f : run.files) target += (target.empty() ? "" : ", ") + f;
  }
  keep(casedb::ActionLog(db).Record("capture", target, "store events",
                                    run.ok && first.ok() ? "ok" : "failed", details));
  return first;
}

}  // namespace mxir::tools
