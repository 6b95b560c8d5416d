#include "hooks/password_file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/secret_fingerprint.h"

namespace mxir::hooks {

Result<PasswordFile> PasswordFile::Create(const std::string& path) {
  if (path.empty()) return MakeError(ErrorCode::kUsage, "no password file given");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST || err == ELOOP) {
      return MakeError(
          ErrorCode::kUsage,
          "--password-file '" + path + "' exists; choose a new file (it is never overwritten)");
    }
    return MakeError(ErrorCode::kIo, "cannot create --password-file '" + path +
                                         "': " + std::strerror(err) + " (nothing was reset)");
  }
  // The umask may have taken bits away, never added any; make sure of 0600 all the same.
  (void)::fchmod(fd, 0600);
  return PasswordFile(path, fd);
}

PasswordFile::PasswordFile(PasswordFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), written_(other.written_) {
  other.fd_ = -1;
}

PasswordFile::~PasswordFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status PasswordFile::Append(const std::string& account, const std::string& password,
                            bool with_account) {
  if (fd_ < 0) return MakeError(ErrorCode::kInternal, "the password file is closed");
  std::string line = with_account ? account + "\t" + password + "\n" : password + "\n";
  size_t done = 0;
  Status result = Status::Ok();
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result = MakeError(ErrorCode::kIo,
                         "writing '" + path_ + "': " + std::strerror(n < 0 ? errno : ENOSPC));
      break;
    }
    done += static_cast<size_t>(n);
  }
  SecureWipe(line);
  if (done > 0) written_ = true;  // even a partial line: never remove a file with a secret in it
  if (!result.ok()) return result;
  if (::fsync(fd_) != 0) {
    return MakeError(ErrorCode::kIo, "syncing '" + path_ + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

bool PasswordFile::Finish() {
  if (fd_ < 0) return written_;
  struct stat ours {};
  bool have = ::fstat(fd_, &ours) == 0;
  ::close(fd_);
  fd_ = -1;
  if (!written_ && have) {
    // Remove it only if the name still is the file this run created.
    struct stat now {};
    if (::lstat(path_.c_str(), &now) == 0 && now.st_dev == ours.st_dev &&
        now.st_ino == ours.st_ino) {
      ::unlink(path_.c_str());
    }
  }
  return written_;
}

}  // namespace mxir::hooks
