// DetectEngine: Events in, Findings out — the whole of `mxir detect` below the command line.
//
// Add() every event (any order, any mix of sources), then Finish() once: it collects the
// evidence, classifies logins (auth_analysis.h) and runs one detector per finding kind in a
// fixed order. The findings come back worst first with stable ids, plain-language explanations,
// next steps and playbook names, plus the blocklisted addresses to watch. The same events give
// the same findings however they arrive (a pipe, a case, --follow re-runs). Bad events are
// counted in counters() ("skipped.<reason>"), never fatal. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/counters.h"
#include "core/event.h"
#include "core/finding.h"
#include "detect/detect_config.h"
#include "detect/evidence.h"
#include "detect/locality.h"
#include "detect/source_offset.h"

namespace mxir::detect {

struct ListedAddress {
  std::string ip, list;
};

struct DetectResult {
  std::vector<Finding> findings;      // worst first, then oldest first
  std::vector<ListedAddress> listed;  // from remote_blocklisting, for the case's assets
  std::vector<SourceOffset> offsets;  // sources that agree only hours apart (a wrong --tz)
  // remote_blocklisting findings folded into one summary (runaway_guard.h): the input claims
  // more than kMaxListedFindings blocklisted addresses of ours (0: it does not).
  size_t listed_folded = 0;
};

class DetectEngine {
 public:
  DetectEngine(DetectConfig config, Locality locality);

  void Add(const Event& e) { collector_.Add(e); }
  // Runs the detectors. Call once.
  [[nodiscard]] DetectResult Finish();
  // Runs the detectors on the evidence so far and leaves the engine open for more events
  // (detect --follow: each pass adds only the events stored since the last one, then calls
  // Pass() again; the result is the one Finish() would give on all events read).
  [[nodiscard]] DetectResult Pass() { return Analyze(collector_); }
  // The locality may change between passes (assets added to the case). When it only grew, the
  // clients judged outside so far are asked about the added networks and addresses only.
  void SetLocality(Locality locality);

  Counters& counters() { return collector_.counters(); }

 private:
  DetectResult Analyze(EvidenceCollector& collector);

  DetectConfig config_;
  Locality locality_;
  EvidenceCollector collector_;
  // Per Evidence::clients index, each client's inside/outside answer under locality_ (see
  // DetectContext::inside_cache), kept between passes.
  std::vector<uint8_t> inside_;
};

// Orders findings worst first, then by first_seen, then by id.
void SortFindings(std::vector<Finding>* findings);

}  // namespace mxir::detect
