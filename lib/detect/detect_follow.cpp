#include "detect/detect_follow.h"

#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace mxir::detect {

std::optional<Severity> WorstSeverity(const std::vector<Finding>& findings) {
  std::optional<Severity> w;
  for (const auto& f : findings) {
    if (!w || f.severity > *w) w = f.severity;
  }
  return w;
}

nlohmann::ordered_json FollowPassStats(const FollowPass& p) {
  return nlohmann::ordered_json{{"pass", p.pass},
                                {"new_events", p.new_events},
                                {"seconds", p.seconds},
                                {"findings", p.result->findings.size()},
                                {"read_s", p.state->read_s},
                                {"analysis_s", p.state->analysis_s},
                                {"store_s", p.state->store_s}};
}

Result<std::optional<Severity>> FollowCase(const PassInput& in, const DetectConfig& cfg,
                                           const Locality& base, casedb::CaseDb& c,
                                           const FollowOptions& options, std::atomic<bool>* stop,
                                           Counters* counters, const PassMessages& messages,
                                           const std::function<void(const FollowPass&)>& on_pass) {
  std::map<std::string, Severity> shown;
  std::optional<Severity> worst_shown;
  const auto start = std::chrono::steady_clock::now();
  FollowState state;
  int64_t events_before = 0;
  // The case's write-ahead log holds what other processes stored since (ingest defers its
  // checkpoints). Copying it into the case file is not this pass's work: this connection never
  // does it on committing its findings (SQLite's default would, at 1000 pages, with the pass
  // waiting for the disk), but after each pass, in the pause before the next one.
  MXIR_RETURN_IF_ERROR(c.db().Exec("PRAGMA wal_autocheckpoint = 0"));
  for (int pass = 1; !*stop; ++pass) {
    const auto pass_start = std::chrono::steady_clock::now();
    MXIR_ASSIGN_OR_RETURN(DetectResult result,
                          RunDetectPass(in, cfg, base, &c, counters, messages, &state));
    FollowPass report;
    report.pass = pass;
    report.new_events = counters->Get("events") - events_before;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - pass_start).count();
    report.result = &result;
    report.state = &state;
    events_before = counters->Get("events");
    for (const Finding& f : result.findings) {
      auto it = shown.find(f.id);
      if (it != shown.end() && it->second >= f.severity) continue;
      shown[f.id] = f.severity;
      report.fresh.push_back(f);
    }
    on_pass(report);
    auto w = WorstSeverity(report.fresh);
    if (w && (!worst_shown || *w > *worst_shown)) worst_shown = w;
    // PASSIVE: copies what no reader still needs, never waits for other processes.
    if (Status st = c.db().Exec("PRAGMA wal_checkpoint(PASSIVE)"); !st.ok()) {
      messages.warn(
          "could not copy the case's write-ahead log into the case file (retried after the "
          "next pass): " +
          st.error().message);
    }
    // Sleep in small steps so a signal or --duration ends the loop promptly.
    for (double slept = 0; slept < options.interval_s && !*stop; slept += 0.1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (options.duration_s > 0 && elapsed >= options.duration_s) *stop = true;
    }
  }
  return worst_shown;
}

}  // namespace mxir::detect
