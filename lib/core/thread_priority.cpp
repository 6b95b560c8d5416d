#include "core/thread_priority.h"

#include <cerrno>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mxir {

void RunInBackground(int steps) {
  // The thread's own id: under Linux's threads, PRIO_PROCESS with a thread id sets that thread.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  int now = getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return;
  int want = now + steps;
  if (want > 19) want = 19;
  (void)setpriority(PRIO_PROCESS, tid, want);
}

}  // namespace mxir
