#include "on_change.h"

#include <cerrno>
#include <chrono>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/process_info.h"

namespace mxir::tools {

Result<int> RunChangeCommand(const std::string& command, const std::string& input, int timeout_s) {
  // The deadline covers everything: writing the changes to the command's stdin (a command that
  // does not read them must not block the watch), running, exiting.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::vector<std::string> env_strings = ChildEnvironment();
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "pipe: " + ErrnoText(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return MakeError(ErrorCode::kIo, "fork: " + ErrnoText(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own process group: a timeout kills the command and its children
    dup2(fds[0], STDIN_FILENO);
    execle("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before we might signal it
  close(fds[0]);
  // The command may exit without reading: a broken pipe must not kill us.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  auto kill_all = [&](int* status) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
  };
  size_t off = 0;
  bool timed_out = false;
  while (off < input.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[1], POLLOUT, 0};
    int pr = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200)));
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    ssize_t n = write(fds[1], input.data() + off, input.size() - off);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // the command closed its stdin
    off += static_cast<size_t>(n);
  }
  close(fds[1]);
  sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  for (;;) {
    if (timed_out || std::chrono::steady_clock::now() > deadline) {
      kill_all(&status);
      return MakeError(ErrorCode::kUnavailable, "--on-change command did not finish within " +
                                                    std::to_string(timeout_s) + " s (killed)");
    }
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return MakeError(ErrorCode::kIo, "waitpid: " + ErrnoText(errno));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace mxir::tools
