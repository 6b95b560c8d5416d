#include "hooks/dovecot_hook.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_util.h"
#include "hooks/dovecot_auth_client.h"
#include "hooks/passwd_file.h"
#include "hooks/scrub.h"

namespace mxir::hooks {

namespace {

// Dovecot notices a changed passwd-file by its mtime in whole seconds and its size. A rewrite in
// the same second as the previous one, with a hash of the same length, would go unnoticed and the
// old password would keep working; so wait (at most a second) until the clock has passed the
// file's mtime second, making the new file's mtime differ.
void WaitForNewMtimeSecond(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  for (int i = 0; i < 40 && ::time(nullptr) <= st.st_mtim.tv_sec; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

// The program `name` would run: itself when it names a path, else the first match on $PATH; ""
// when there is none or it cannot be executed.
static std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return "";
}

Status DovecotHook::Preflight(const std::string& account, std::vector<HookStep>& steps) {
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(config_.passwd_file));
  auto entry = FindPasswdEntry(text, account);
  if (!entry.ok()) return entry.error().WithContext(config_.passwd_file);
  steps.push_back(
      {"find_account", true, config_.passwd_file + " line " + std::to_string(entry->line_number)});
  // What the later steps need, checked now, before the password is changed: a run that would end
  // "partial" with the password already changed is worse than one that stops here.
  if (!config_.doveadm.empty()) {
    std::string found = FindExecutable(config_.doveadm);
    if (found.empty()) {
      steps.push_back({"check_doveadm", false, config_.doveadm + " not found"});
      return MakeError(ErrorCode::kUsage,
                       "[dovecot] doveadm = " + config_.doveadm +
                           ": no such program (give its full path, e.g. /usr/bin/doveadm, or "
                           "leave it empty to change the password without ending sessions)");
    }
    steps.push_back({"check_doveadm", true, found});
    if (!config_.doveadm_config.empty() && ::access(config_.doveadm_config.c_str(), R_OK) != 0) {
      steps.push_back({"check_doveadm_config", false, config_.doveadm_config});
      return MakeError(ErrorCode::kUsage,
                       "[dovecot] doveadm_config = " + config_.doveadm_config + ": cannot be read");
    }
  }
  if (!config_.auth_socket.empty()) {
    struct stat st {};
    if (::stat(config_.auth_socket.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
      steps.push_back({"check_auth_socket", false, config_.auth_socket});
      return MakeError(ErrorCode::kUsage,
                       "[dovecot] auth_socket = " + config_.auth_socket +
                           ": no such socket (is Dovecot running? the auth-client or auth-userdb "
                           "socket is usually under /run/dovecot/)");
    }
    steps.push_back({"check_auth_socket", true, config_.auth_socket});
  }
  return Status::Ok();
}

Status DovecotHook::ResetPassword(const std::string& account, const std::string& new_password,
                                  bool force_change, std::vector<HookStep>& steps) {
  MXIR_ASSIGN_OR_RETURN(std::string before, ReadFile(config_.passwd_file));
  auto entry = FindPasswdEntry(before, account);
  if (!entry.ok()) return entry.error().WithContext(config_.passwd_file);
  MXIR_ASSIGN_OR_RETURN(std::string field, HashPassword(new_password, config_.scheme));
  std::string after = ReplacePasswordField(before, *entry, field);
  WaitForNewMtimeSecond(config_.passwd_file);
  // Another admin (or another mxir) may have edited the file meanwhile: never overwrite that.
  MXIR_ASSIGN_OR_RETURN(std::string again, ReadFile(config_.passwd_file));
  if (again != before) {
    return MakeError(ErrorCode::kBusy, config_.passwd_file +
                                           " changed while mxir was updating it; nothing was "
                                           "written, run the reset again");
  }
  Status written = ReplaceFileAtomically(config_.passwd_file, after);
  if (!written.ok()) {
    steps.push_back({"set_password", false, written.error().message});
    return written.error().WithContext("passwd-file not changed");
  }
  steps.push_back({"set_password", true,
                   std::string(CryptSchemeName(config_.scheme)) + " hash written to " +
                       config_.passwd_file + " line " + std::to_string(entry->line_number)});
  if (force_change) {
    steps.push_back({"force_change", true, "not available: passwd-file has no must-change flag"});
  }
  return Status::Ok();
}

Status DovecotHook::Doveadm(std::vector<std::string> args, const std::string& step,
                            std::vector<HookStep>& steps) {
  CommandSpec spec;
  spec.argv.push_back(config_.doveadm);
  if (!config_.doveadm_config.empty()) {
    spec.argv.push_back("-c");
    spec.argv.push_back(config_.doveadm_config);
  }
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.timeout = std::chrono::seconds(20);
  auto r = runner_.Run(spec);
  std::string shown = CommandLineForDisplay(spec.argv);
  if (!r.ok()) {
    steps.push_back({step, false, r.error().message});
    return r.error();
  }
  std::string out = ScrubSecrets(r->output, {}, 512);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // doveadm kick exits 68 (EX_NOUSER) when the account had no session to end: nothing to do.
  bool nothing_to_kick = args.front() == "kick" && r->exit_status == 68;
  // doveadm can exit 0 and still print "Error: ..." (e.g. it could not reach auth-master): that
  // step did not happen.
  bool printed_error = r->output.find("Error:") != std::string::npos ||
                       r->output.find("Fatal:") != std::string::npos;
  bool ok = !r->timed_out && (r->exit_status == 0 || nothing_to_kick) && !printed_error;
  steps.push_back({step, ok,
                   shown +
                       (r->timed_out ? ": timed out" : ": exit " + std::to_string(r->exit_status)) +
                       (out.empty() ? "" : " (" + out + ")")});
  if (!ok) {
    return MakeError(ErrorCode::kUnavailable, shown + " failed" + (out.empty() ? "" : ": " + out));
  }
  return Status::Ok();
}

Status DovecotHook::RevokeSessions(const std::string& account, std::vector<HookStep>& steps) {
  if (config_.doveadm.empty()) {
    steps.push_back({"revoke_sessions", true, "skipped: no doveadm configured in the hooks file"});
    return Status::Ok();
  }
  // Flush first: a cached old password would otherwise keep working until the cache TTL ends.
  Status flush = Doveadm({"auth", "cache", "flush", account}, "flush_auth_cache", steps);
  Status kick = Doveadm({"kick", account}, "kick_sessions", steps);
  if (!flush.ok()) return flush;
  return kick;
}

Result<std::string> DovecotHook::Verify(const std::string& account,
                                        const std::string& new_password) {
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(config_.passwd_file));
  MXIR_ASSIGN_OR_RETURN(PasswdEntry entry, FindPasswdEntry(text, account));
  MXIR_ASSIGN_OR_RETURN(bool match, CheckPassword(new_password, entry.password_field));
  if (!match) {
    return MakeError(
        ErrorCode::kUnavailable,
        "the passwd-file entry does not hold the new password (changed by someone else?)");
  }
  std::string evidence = "passwd-file entry holds the new password";
  if (!config_.auth_socket.empty()) {
    // Dovecot re-reads a changed passwd-file at most once a second: a lookup made in the same
    // second as the previous one may still see the old file, so ask again a little later.
    AuthVerdict v = AuthVerdict::kRejected;
    for (int attempt = 0; attempt < 3 && v != AuthVerdict::kAccepted; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      MXIR_ASSIGN_OR_RETURN(v, DovecotAuthCheck(config_.auth_socket, account, new_password));
    }
    if (v != AuthVerdict::kAccepted) {
      return MakeError(
          ErrorCode::kUnavailable,
          "Dovecot rejects the new password (auth cache not flushed, or another passdb?)");
    }
    evidence += "; Dovecot accepts it through " + config_.auth_socket;
  }
  return evidence;
}

namespace {

// While alive, this thread's file accesses are checked as `uid`/`gid` (Linux setfsuid), so a
// root mxir reads a user's home with that user's rights only: a symlink to /root or /etc/shadow
// planted in the home is refused by the kernel. No effect when not running as root.
class FileAccessAs {
 public:
  FileAccessAs(uid_t uid, gid_t gid) {
    if (::geteuid() != 0) return;
    active_ = true;
    old_gid_ = static_cast<gid_t>(::setfsgid(gid));
    old_uid_ = static_cast<uid_t>(::setfsuid(uid));
  }
  ~FileAccessAs() {
    if (!active_) return;
    ::setfsuid(old_uid_);
    ::setfsgid(old_gid_);
  }
  FileAccessAs(const FileAccessAs&) = delete;
  FileAccessAs& operator=(const FileAccessAs&) = delete;

 private:
  bool active_ = false;
  uid_t old_uid_ = 0;
  gid_t old_gid_ = 0;
};

constexpr size_t kMaxSieveBytes = 1 << 20;  // a Sieve script is a few KB; more is not one

}  // namespace

Result<std::vector<Leftover>> DovecotHook::ListLeftovers(const std::string& account) {
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(config_.passwd_file));
  MXIR_ASSIGN_OR_RETURN(PasswdEntry entry, FindPasswdEntry(text, account));
  std::vector<Leftover> out;
  if (entry.home.empty()) return out;
  // The home belongs to the mail user: read it as that user (uid/gid from the passwd-file, else
  // the home's owner), never as root; "nobody" when neither names a non-root owner.
  uid_t uid = 65534;
  gid_t gid = 65534;
  struct stat home_st {};
  if (entry.uid > 0) {
    uid = static_cast<uid_t>(entry.uid);
    gid = entry.gid > 0 ? static_cast<gid_t>(entry.gid) : static_cast<gid_t>(entry.uid);
  } else if (::stat(entry.home.c_str(), &home_st) == 0 && home_st.st_uid != 0) {
    uid = home_st.st_uid;
    gid = home_st.st_gid;
  }
  FileAccessAs as_user(uid, gid);
  std::vector<std::string> scripts = {entry.home + "/.dovecot.sieve"};
  int dir_fd = ::open((entry.home + "/sieve").c_str(),
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (DIR* d = dir_fd >= 0 ? ::fdopendir(dir_fd) : nullptr) {
    int budget = 1000;  // bounded: a home with thousands of files is not ours to crawl
    while (dirent* e = ::readdir(d)) {
      if (--budget < 0) break;
      std::string n = e->d_name;
      if (n.size() > 6 && n.substr(n.size() - 6) == ".sieve")
        scripts.push_back(entry.home + "/sieve/" + n);
    }
    ::closedir(d);
  } else if (dir_fd >= 0) {
    ::close(dir_fd);
  } else if (errno != ENOENT) {
    out.push_back({"unread_file", entry.home + "/sieve: not read (" + ErrnoText(errno) + ")"});
  }
  for (const auto& path : scripts) {
    // Never follows a symlink, never waits on a FIFO, regular files of at most 1 MiB only;
    // anything else is named as a leftover to look at by hand, not read.
    auto content = ReadRegularFile(path, kMaxSieveBytes);
    if (!content.ok()) {
      if (content.error().code != ErrorCode::kNotFound) {
        out.push_back({"unread_file", path + ": not read (" + content.error().message + ")"});
      }
      continue;
    }
    std::istringstream in(*content);
    std::string line;
    for (int n = 1; std::getline(in, line) && n <= 10000; ++n) {
      auto pos = line.find("redirect");
      if (pos == std::string::npos || line.find('#') < pos) continue;
      out.push_back(
          {"sieve_redirect", path + ":" + std::to_string(n) + ": " + line.substr(pos, 200)});
    }
  }
  return out;
}

}  // namespace mxir::hooks
