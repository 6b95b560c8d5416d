// A case's playbook runs: new run ids, finding the run to resume, refusing a second run while one
// is in progress.
#include "playbook/run_registry.h"

#include <cerrno>
#include <cstdio>
#include <random>

#include <signal.h>
#include <unistd.h>

namespace mxir::playbook {
namespace internal {
namespace {

bool ProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string NewRunId(Timestamp now) {
  std::string t = now.ToString();  // 2026-12-06T21:04:15.123456Z
  std::string compact;
  for (char ch : t.substr(0, 19))
    if (ch != '-' && ch != ':') compact += ch;
  std::random_device rd;
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return "run-" + compact + "-" + hex;
}

Status RefuseIfActive(PlaybookStore& store, const std::string& except) {
  MXIR_ASSIGN_OR_RETURN(auto runs, store.ListRuns());
  for (const auto& r : runs) {
    if (r.run_id == except || r.status != "running") continue;
    if (r.host == HostName() && ProcessAlive(r.pid) && r.pid != ::getpid())
      return MakeError(ErrorCode::kBusy, "run " + r.run_id + " of " + r.runbook_id +
                                             " is in progress in process " + std::to_string(r.pid) +
                                             "; one run per case at a time");
  }
  return Status::Ok();
}

Result<PlaybookRun> FindRun(PlaybookStore& store, const std::string& run_id) {
  if (!run_id.empty()) {
    MXIR_ASSIGN_OR_RETURN(auto r, store.GetRun(run_id));
    if (!r)
      return MakeError(ErrorCode::kNotFound, "no run '" + run_id +
                                                 "' in this case "
                                                 "(mxir playbook status lists them)");
    return *r;
  }
  MXIR_ASSIGN_OR_RETURN(auto runs, store.ListRuns());
  for (auto it = runs.rbegin(); it != runs.rend(); ++it)
    if (it->status != "completed" && it->status != "stopped") return *it;
  return MakeError(ErrorCode::kNotFound,
                   "this case has no run to resume (every run has ended); start one with mxir "
                   "playbook run ID --case FILE");
}

}  // namespace internal

Result<std::string> RunbookIdOfRun(casedb::CaseDb& c, const std::string& run_id) {
  casedb::PlaybookStore store(c);
  MXIR_ASSIGN_OR_RETURN(auto runs, store.ListRuns());
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    if (!run_id.empty() ? it->run_id == run_id
                        : (it->status != "completed" && it->status != "stopped"))
      return it->runbook_id;
  }
  return MakeError(ErrorCode::kNotFound,
                   run_id.empty() ? "this case has no run to resume (every run has ended)"
                                  : "no run '" + run_id + "' in this case");
}

}  // namespace mxir::playbook
