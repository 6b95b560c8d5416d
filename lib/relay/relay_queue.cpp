#include "relay/relay_queue.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mxir::relay {

bool ValidQueueId(const std::string& id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::vector<QueuedMessage> ParsePostqueueJson(const std::string& text, size_t* bad_lines) {
  std::vector<QueuedMessage> out;
  std::istringstream in(text);
  std::string line;
  size_t bad = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++bad;
      continue;
    }
    QueuedMessage m;
    m.queue_id = j.value("queue_id", "");
    m.queue_name = j.value("queue_name", "");
    m.sender = j.value("sender", "");
    if (j.contains("arrival_time") && j["arrival_time"].is_number()) {
      m.arrival_time = j["arrival_time"].get<int64_t>();
    }
    if (j.contains("message_size") && j["message_size"].is_number()) {
      m.message_size = j["message_size"].get<int64_t>();
    }
    if (j.contains("recipients") && j["recipients"].is_array()) {
      for (const auto& r : j["recipients"]) {
        if (!r.is_object()) continue;
        m.recipients.push_back(r.value("address", ""));
        if (r.contains("delay_reason") && r["delay_reason"].is_string()) {
          m.delay_reasons.push_back(r["delay_reason"].get<std::string>());
        }
      }
    }
    if (!ValidQueueId(m.queue_id)) {
      ++bad;
      continue;
    }
    out.push_back(std::move(m));
  }
  if (bad_lines) *bad_lines = bad;
  return out;
}

Result<std::string> RelayInstance::Run(std::vector<std::string> argv, const std::string& what) {
  hooks::CommandSpec spec;
  spec.argv = std::move(argv);
  spec.max_output = 16 * 1024 * 1024;
  spec.timeout = std::chrono::milliseconds(60000);
  MXIR_ASSIGN_OR_RETURN(auto r, runner_.Run(spec));
  if (r.timed_out || r.exit_status != 0) {
    std::string out = r.output.substr(0, 600);
    return MakeError(ErrorCode::kUnavailable,
                     what + " failed (" + hooks::CommandLineForDisplay(spec.argv) + ", status " +
                         std::to_string(r.exit_status) + "): " + out);
  }
  return r.output;
}

Result<std::vector<QueuedMessage>> RelayInstance::Queue() {
  MXIR_ASSIGN_OR_RETURN(auto out, Run({"postqueue", "-c", dir_, "-j"}, "listing the queue"));
  return ParsePostqueueJson(out, nullptr);
}

Status RelayInstance::Release(const std::string& id) {
  if (!ValidQueueId(id)) return MakeError(ErrorCode::kUsage, "'" + id + "' is not a queue id");
  auto r = Run({"postsuper", "-c", dir_, "-H", id}, "releasing " + id);
  if (!r.ok()) return r.error();
  // Released mail goes to the deferred queue; ask for a delivery attempt now rather than at the
  // next queue run (a failure here only delays it).
  (void)Run({"postqueue", "-c", dir_, "-i", id}, "scheduling " + id);
  return Status::Ok();
}

Status RelayInstance::Purge(const std::string& id) {
  if (!ValidQueueId(id)) return MakeError(ErrorCode::kUsage, "'" + id + "' is not a queue id");
  auto r = Run({"postsuper", "-c", dir_, "-d", id}, "deleting " + id);
  return r.ok() ? Status::Ok() : Status(r.error());
}

namespace {

int PidFrom(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return 0;
  return static_cast<int>(pid);
}

bool WaitFor(const std::function<bool()>& cond, int tenths) {
  for (int i = 0; i < tenths; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

// Runs a command that starts a daemon (dovecot, postfix start): the daemon keeps inherited
// descriptors open, so its output goes to `log` (appended), never to a pipe we would wait on.
Status RunStarter(const std::vector<std::string>& argv, const std::string& log,
                  const std::string& what) {
  pid_t pid = ::fork();
  if (pid < 0) return MakeError(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int nul = ::open("/dev/null", O_RDONLY);
    if (nul >= 0) ::dup2(nul, 0);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<std::string> a = argv;
    std::vector<char*> av;
    for (auto& x : a) av.push_back(x.data());
    av.push_back(nullptr);
    ::execvp(av[0], av.data());
    ::_exit(127);
  }
  int status = 0;
  for (int i = 0; i < 600; ++i) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
      return MakeError(
          ErrorCode::kUnavailable,
          what + " failed (exit " +
              std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
              "; see " + log + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return MakeError(ErrorCode::kUnavailable, what + " did not finish within 60 s (see " + log + ")");
}

}  // namespace

int RelayInstance::PostfixPid() const {
  return PidFrom(cfg_.queue_directory() + "/pid/master.pid");
}
int RelayInstance::PolicyPid() const { return PidFrom(policy_pid_file()); }
int RelayInstance::OpenDkimPid() const {
  if (cfg_.dkim_selector.empty()) return 0;
  return PidFrom(cfg_.instance_dir + "/opendkim.pid");
}
int RelayInstance::DovecotPid() const {
  return PidFrom(cfg_.instance_dir + "/dovecot/run/master.pid");
}

Status RelayInstance::Up(const std::string& self_exe, const std::string& config_path,
                         const std::string& case_path, std::vector<std::string>* steps) {
  struct stat st {};
  if (::stat((dir_ + "/main.cf").c_str(), &st) != 0) {
    return MakeError(ErrorCode::kNotFound, "no " + dir_ +
                                               "/main.cf: write the instance first with "
                                               "'mxir relay config --config RELAY.ini --out " +
                                               dir_ + "'");
  }
  MXIR_ASSIGN_OR_RETURN(auto chk, Run({"postfix", "-c", dir_, "check"}, "postfix check"));
  if (!chk.empty()) {
    return MakeError(ErrorCode::kInvalidInput, "postfix check complained: " + chk.substr(0, 600));
  }
  if (steps) steps->push_back("postfix check: ok");
  if (!DovecotPid()) {
    MXIR_RETURN_IF_ERROR(RunStarter({"dovecot", "-c", dir_ + "/dovecot-auth.conf"},
                                    cfg_.instance_dir + "/start.log", "starting the auth Dovecot"));
    if (!WaitFor([&] { return DovecotPid() != 0; }, 100)) {
      return MakeError(ErrorCode::kUnavailable, "the auth Dovecot did not start (see " +
                                                    cfg_.instance_dir + "/dovecot.log)");
    }
  }
  if (steps) steps->push_back("auth dovecot: running, pid " + std::to_string(DovecotPid()));
  if (!PolicyPid()) {
    pid_t pid = ::fork();
    if (pid < 0) return MakeError(ErrorCode::kIo, "fork failed");
    if (pid == 0) {
      ::setsid();
      int log = ::open(policy_log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      int nul = ::open("/dev/null", O_RDONLY);
      if (nul >= 0) ::dup2(nul, 0);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      std::vector<std::string> args = {self_exe,    "policy",     "--config",
                                       config_path, "--pid-file", policy_pid_file()};
      if (!case_path.empty()) {
        args.push_back("--case");
        args.push_back(case_path);
      }
      std::vector<char*> av;
      for (auto& a : args) av.push_back(a.data());
      av.push_back(nullptr);
      ::execv(self_exe.c_str(), av.data());
      ::_exit(127);
    }
    if (!WaitFor([&] { return PolicyPid() != 0; }, 100)) {
      return MakeError(ErrorCode::kUnavailable,
                       "the policy service did not start (see " + policy_log_file() + ")");
    }
  }
  if (steps) steps->push_back("policy service: running, pid " + std::to_string(PolicyPid()));
  if (!cfg_.dkim_selector.empty()) {
    if (!OpenDkimPid()) {
      MXIR_RETURN_IF_ERROR(RunStarter({"opendkim", "-x", dir_ + "/opendkim.conf"},
                                      cfg_.instance_dir + "/start.log",
                                      "starting OpenDKIM (is the opendkim package installed? "
                                      "dkim_selector in RELAY.ini asks for signing)"));
      if (!WaitFor([&] { return OpenDkimPid() != 0; }, 100)) {
        return MakeError(ErrorCode::kUnavailable,
                         "OpenDKIM did not start (see " + cfg_.instance_dir +
                             "/start.log; its key file must be readable by the opendkim user)");
      }
    }
    if (steps) steps->push_back("opendkim: running, pid " + std::to_string(OpenDkimPid()));
  }
  if (!PostfixPid()) {
    MXIR_RETURN_IF_ERROR(RunStarter({"postfix", "-c", dir_, "start"},
                                    cfg_.instance_dir + "/start.log", "starting Postfix"));
    if (!WaitFor([&] { return PostfixPid() != 0; }, 100)) {
      return MakeError(ErrorCode::kUnavailable,
                       "Postfix did not start (see " + cfg_.instance_dir + "/postfix.log)");
    }
  }
  if (steps) steps->push_back("postfix: running, pid " + std::to_string(PostfixPid()));
  return Status::Ok();
}

Status RelayInstance::Down(std::vector<std::string>* steps) {
  if (PostfixPid()) {
    MXIR_RETURN_IF_ERROR(RunStarter({"postfix", "-c", dir_, "stop"},
                                    cfg_.instance_dir + "/start.log", "stopping Postfix"));
    WaitFor([&] { return PostfixPid() == 0; }, 100);
  }
  if (steps) steps->push_back(PostfixPid() ? "postfix: still running" : "postfix: stopped");
  using PidOf = int (RelayInstance::*)() const;
  const std::pair<const char*, PidOf> parts[] = {{"policy service", &RelayInstance::PolicyPid},
                                                 {"opendkim", &RelayInstance::OpenDkimPid},
                                                 {"auth dovecot", &RelayInstance::DovecotPid}};
  for (const auto& part : parts) {
    const PidOf pid_of = part.second;
    int pid = (this->*pid_of)();
    if (pid) {
      ::kill(pid, SIGTERM);
      WaitFor([this, pid_of] { return (this->*pid_of)() == 0; }, 100);
    }
    if (steps) {
      steps->push_back(std::string(part.first) +
                       ((this->*pid_of)() ? ": still running" : ": stopped"));
    }
  }
  if (PostfixPid() || PolicyPid() || OpenDkimPid() || DovecotPid()) {
    return MakeError(ErrorCode::kUnavailable, "a part of the relay is still running (see status)");
  }
  return Status::Ok();
}

}  // namespace mxir::relay
