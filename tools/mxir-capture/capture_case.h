// RecordCaptureInCase: what `mxir capture --case` writes after its events — one `sources` record
// per input (size, SHA-256, the first and last event time, counts) and one action in the case's
// timeline naming every file or the interface.
#pragma once

#include <string>
#include <vector>

#include "capture_sinks.h"
#include "casedb/case_db.h"
#include "casedb/event_store.h"
#include "core/counters.h"
#include "core/status.h"
#include "input_hashes.h"
#include "smtp_flows.h"

namespace mxir::tools {

struct CaptureRun {
  bool live = false;
  std::string iface;               // live
  std::vector<std::string> files;  // files
  const std::vector<CaptureInput>* inputs = nullptr;
  InputHashes* hashes = nullptr;      // null when no file was hashed
  const CaptureSink* sink = nullptr;  // per-input spans of event times
  const casedb::EventWriter* store = nullptr;
  int64_t packets = 0, smtp_sessions = 0;
  bool ok = true;  // the capture and its output both succeeded
};

// Waits for the hashes (after every event was stored), then records. The first failure.
Status RecordCaptureInCase(casedb::CaseDb& db, const CaptureRun& run);

}  // namespace mxir::tools
