// A case's playbook runs (internal to lib/playbook): new run ids, the host a run is on, finding the
// run to resume, and refusing a second run while one is in progress (one run per case at a time).
// RunbookIdOfRun (runner.h) is implemented here too.
#pragma once

#include <string>

#include "casedb/playbook_store.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace mxir::playbook::internal {

using casedb::PlaybookRun;
using casedb::PlaybookStore;

// This machine's host name ("" when unknown), recorded with a run.
std::string HostName();

// "run-20261206T210415-1a2b": the start time and a random suffix.
std::string NewRunId(Timestamp now);

// Refuses (kBusy) when a run other than `except` is "running" in a live process on this host.
Status RefuseIfActive(PlaybookStore& store, const std::string& except);

// The run `run_id`, or with an empty id the latest run that has not ended.
Result<PlaybookRun> FindRun(PlaybookStore& store, const std::string& run_id);

}  // namespace mxir::playbook::internal
