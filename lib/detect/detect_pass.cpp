#include "detect/detect_pass.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "casedb/action_log.h"
#include "casedb/event_reader.h"
#include "core/clock.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/time_zone.h"
#include "detect/event_input.h"
#include "detect/runaway_guard.h"
#include "detect/source_offset.h"

namespace mxir::detect {
namespace {

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// Tells the user what this run changed about the findings already stored.
void ReportStoreChanges(const StoreSummary& s, const PassMessages& messages) {
  if (!s.resolved.empty()) {
    messages.note(Plural(s.resolved.size(), "stored finding is", "stored findings are") +
                  " no longer supported by the events and now resolved (kept; see mxir case "
                  "findings): " +
                  JoinIds(s.resolved));
  }
  if (!s.reactivated.empty()) {
    messages.note("active again (supported again): " + JoinIds(s.reactivated));
  }
  for (const auto& ch : s.changed) {
    messages.note("finding " + ch.id + " changed from " + ch.from + " to " + ch.to);
  }
  if (!s.dismissed.empty()) {
    messages.note("found again but dismissed earlier (left dismissed): " + JoinIds(s.dismissed));
  }
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Result<DetectResult> RunDetectPass(const PassInput& in, const DetectConfig& cfg,
                                   const Locality& base, casedb::CaseDb* c, Counters* counters,
                                   const PassMessages& messages, FollowState* follow) {
  const auto read_start = std::chrono::steady_clock::now();
  Locality loc = base;
  std::string assets;
  if (c) MXIR_RETURN_IF_ERROR(AddCaseLocality(*c, &loc, &assets));
  std::optional<DetectEngine> own;
  DetectEngine* engine_ptr = nullptr;
  // --follow: assets added to the case since the last pass (by a person, or the addresses
  // remote_blocklisting found) change what is inside: the findings are judged again even when
  // no new events arrived.
  bool new_locality = false;
  if (follow) {
    if (!follow->engine) {
      follow->engine.emplace(cfg, loc);
      follow->locality = assets;
    } else if (assets != follow->locality) {
      follow->engine->SetLocality(loc);
      follow->locality = assets;
      new_locality = true;
    }
    engine_ptr = &*follow->engine;
  } else {
    own.emplace(cfg, loc);
    engine_ptr = &*own;
  }
  DetectEngine& engine = *engine_ptr;
  if (!in.events.empty()) {
    std::ifstream file;
    std::istream* is = &std::cin;
    if (in.events != "-") {
      std::error_code ec;
      if (std::filesystem::is_directory(in.events, ec)) {
        return MakeError(ErrorCode::kInvalidInput,
                         "'" + in.events + "' is a directory: give the JSON Lines file of events");
      }
      file.open(in.events, std::ios::binary);
      if (!file) {
        return MakeError(ErrorCode::kNotFound,
                         "cannot open '" + in.events +
                             "': no such file or not readable; check the path (use - for stdin)");
      }
      is = &file;
    }
    std::vector<std::string> errors;
    JsonlInput input{in.events, in.since, in.until};
    MXIR_RETURN_IF_ERROR(ReadEventsJsonl(
        *is, input, [&](const Event& e) { engine.Add(e); }, &engine.counters(), &errors));
    for (const auto& e : errors) messages.warn("skipped " + e);
  } else {
    auto total = casedb::CountEvents(*c);
    Progress progress(
        "reading the case's events",
        total.ok() && (!follow || follow->cursor == 0) ? static_cast<uint64_t>(*total) : 0,
        "events");
    FeedControl control;
    control.stop = &InterruptFlag();
    control.progress = &progress;
    if (follow) control.after_id = follow->cursor;
    MXIR_RETURN_IF_ERROR(FeedCaseEvents(*c, in.since, in.until, &engine, &control));
    if (follow) {
      // Nothing new since the last pass: its findings stand (and nothing is stored again).
      if (follow->last && control.last_id == follow->cursor && !new_locality) {
        *counters = engine.counters();
        follow->read_s = SecondsSince(read_start);
        follow->analysis_s = follow->store_s = 0;
        return *follow->last;
      }
      follow->cursor = control.last_id;
    }
    if (control.interrupted) {
      // Findings from part of the events would be wrong (and would resolve stored ones): keep
      // nothing, record the interruption.
      nlohmann::ordered_json details{{"events_read", control.fed}};
      if (Status st =
              casedb::ActionLog(*c).Record("detect", c->path(), "detect", "interrupted", details);
          !st.ok()) {
        return st.error();
      }
      return MakeError(ErrorCode::kInternal,
                       InterruptedMessage(control.fed, "events read",
                                          "no findings stored: they need all events"));
    }
  }
  const auto analysis_start = std::chrono::steady_clock::now();
  if (follow) follow->read_s = std::chrono::duration<double>(analysis_start - read_start).count();
  DetectResult result = follow ? engine.Pass() : engine.Finish();
  const auto store_start = std::chrono::steady_clock::now();
  if (follow) follow->analysis_s = SecondsSince(analysis_start);
  // A log read with the wrong --tz: say so, and which zone would make the sources agree (ingest
  // reads in this machine's zone unless told otherwise).
  for (const SourceOffset& off : result.offsets) {
    auto local = TimeZone::FromName("local");
    messages.warn(SourceOffsetWarning(off, local.ok() ? local->OffsetAt(DefaultClock().Now()) : 0));
  }
  // The engine folds a runaway input's listed addresses already (DetectResult::listed_folded);
  // SummarizeRunaway only catches what it did not.
  size_t folded = result.listed_folded + SummarizeRunaway(&result, &engine.counters());
  if (folded > 0) {
    messages.warn("the input claims " + std::to_string(folded + kMaxListedFindings) +
                  " different blocklisted addresses of yours; " + std::to_string(folded) +
                  " are summed up in one finding (is this your server's log? is --internal too "
                  "wide?)");
  }
  if (c) {
    JudgeStored judge{in.events.empty(), in.since, in.until, in.settings_text};
    MXIR_ASSIGN_OR_RETURN(StoreSummary s,
                          StoreResult(*c, result, judge, follow ? &follow->stored : nullptr));
    ReportStoreChanges(s, messages);
    if (!s.resolved.empty()) {
      engine.counters().Set("stored.resolved", static_cast<int64_t>(s.resolved.size()));
    }
    engine.counters().Set("stored.new", s.added);
    engine.counters().Set("stored.updated", s.updated);
    if (follow) engine.counters().Set("stored.unchanged", s.unchanged);
    engine.counters().Set("stored.assets_added", s.assets_added);
    if (s.assets_over_cap > 0) {
      engine.counters().Set("stored.assets_over_cap", s.assets_over_cap);
      messages.warn(std::to_string(s.assets_over_cap) +
                    " more listed addresses were not added to the "
                    "case's assets (at most " +
                    std::to_string(kMaxAutoAssets) + " per run)");
    }
  }
  *counters = engine.counters();
  if (follow) {
    follow->store_s = SecondsSince(store_start);
    follow->last = result;
  }
  return result;
}

}  // namespace mxir::detect
