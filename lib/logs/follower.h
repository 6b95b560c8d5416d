// FollowLogs: `mxir ingest --follow` — tails growing log files into an Ingester, like
// `tail -F`, across rotation.
//
// Each file is read from its start (so nothing written before the start is missed; storing in a
// case ignores what an earlier run already stored), then polled for new complete lines. A line
// is only taken once its newline has arrived. Rotation by rename (the path now names a new file)
// opens the new one from its start and keeps reading the old one while it still grows (syslog
// writes to it until it reopens its files) until it has been quiet for `rotated_grace_ms`;
// rotation by copytruncate (the same file shrinks below what was read, or its first bytes
// changed between two polls) starts again at its beginning. Each line is passed exactly once
// per file generation. A path that does not exist yet is waited for. "Now" for year-less
// stamps is read again on each poll. Stops when *stop becomes true (a signal handler sets it) or
// after `max_seconds` (> 0), then ingests any last line without a newline. `on_idle` runs after
// each poll that found nothing new and at least every `commit_ms` (for committing a batch to the
// case).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "logs/ingester.h"

namespace mxir::logs {

struct FollowOptions {
  double max_seconds = 0;  // 0: until stopped
  int poll_ms = 200;
  size_t max_line = 64 * 1024;
  // A file rotated away by rename is read on until it has had no new line for this long.
  int rotated_grace_ms = 5000;
  // on_idle (the case commit) runs at least this often while lines keep coming.
  int commit_ms = 1000;
};

Status FollowLogs(const std::vector<std::string>& paths, Ingester& ingester,
                  const FollowOptions& options, const std::atomic<bool>& stop,
                  const std::function<void()>& on_idle);

}  // namespace mxir::logs
