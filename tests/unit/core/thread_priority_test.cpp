#include "core/thread_priority.h"

#include <algorithm>
#include <cerrno>
#include <thread>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mxir {
namespace {

int NiceOfThisThread() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
}

TEST(ThreadPriority, RunInBackgroundLowersOnlyTheCallingThread) {
  const int main_before = NiceOfThisThread();
  int before = 0, after = 0;
  std::thread t([&] {
    before = NiceOfThisThread();  // a new thread starts with its creator's nice value
    RunInBackground(3);
    after = NiceOfThisThread();
  });
  t.join();
  EXPECT_EQ(before, main_before);
  EXPECT_EQ(after, std::min(before + 3, 19));
  EXPECT_EQ(NiceOfThisThread(), main_before);  // the caller's other threads keep theirs
}

TEST(ThreadPriority, RunInBackgroundStopsAtTheLowestPriority) {
  int after = 0;
  std::thread t([&] {
    RunInBackground(100);
    RunInBackground();  // already at the lowest: stays there, no error
    after = NiceOfThisThread();
  });
  t.join();
  EXPECT_EQ(after, 19);
}

}  // namespace
}  // namespace mxir
