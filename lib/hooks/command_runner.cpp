#include "hooks/command_runner.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/process_info.h"

extern char** environ;

namespace mxir::hooks {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

namespace {}  // namespace

std::string CommandLineForDisplay(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out.push_back(' ');
    out += a;
  }
  return out;
}

Result<CommandResult> SystemCommandRunner::Run(const CommandSpec& spec) {
  // A command that exits before reading all of its stdin must not kill us with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return MakeError(ErrorCode::kUsage, "empty command");
  }
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0)
    return MakeError(ErrorCode::kIo, "pipe: " + ErrnoText(errno));
  Fd in_r{in_pipe[0]}, in_w{in_pipe[1]};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return MakeError(ErrorCode::kIo, "pipe: " + ErrnoText(errno));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills the command and anything it started.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(spec.env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (auto& e : env_strings) std::fill(e.begin(), e.end(), '\0');
  if (rc != 0) {
    return MakeError(ErrorCode::kNotFound, "cannot run '" + spec.argv[0] + "': " + ErrnoText(rc));
  }
  in_r.Close();
  out_w.Close();
  ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  ::fcntl(out_r.fd, F_SETFL, O_NONBLOCK);

  CommandResult result;
  size_t written = 0;
  if (spec.stdin_data.empty()) in_w.Close();
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  char buf[4096];
  while (out_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fds[2];
    int nfds = 0;
    fds[nfds++] = {out_r.fd, POLLIN, 0};
    if (in_w.fd >= 0) fds[nfds++] = {in_w.fd, POLLOUT, 0};
    int pr = ::poll(fds, nfds, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    if (nfds == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n =
          ::write(in_w.fd, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) in_w.Close();  // the command closed its stdin: fine
      if (written == spec.stdin_data.size()) in_w.Close();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(out_r.fd, buf, sizeof buf);
      if (n > 0) {
        size_t room =
            spec.max_output > result.output.size() ? spec.max_output - result.output.size() : 0;
        result.output.append(buf, std::min(room, static_cast<size_t>(n)));
      } else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        out_r.Close();
      }
    }
  }
  in_w.Close();
  if (result.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  // After output EOF the command normally exits at once; wait up to the deadline, then kill it.
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR)
      return MakeError(ErrorCode::kInternal, "waitpid: " + ErrnoText(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    ::usleep(5000);
  }
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_status = 128 + WTERMSIG(status);
  return result;
}

}  // namespace mxir::hooks
