#include "core/file_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_sha256.h"
#include "core/hex.h"

namespace mxir {

std::string ErrnoText(int err) { return std::strerror(err); }

namespace {

Error IoError(const std::string& what, const std::string& path, int err) {
  // A wrong path, a directory where a file belongs, or a file the user may not read is bad
  // input (exit 2), said with what to do; only the rest is the machine's failure.
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound
                   : (err == EISDIR || err == ENOTDIR || err == EACCES || err == EPERM ||
                      err == ELOOP || err == ENAMETOOLONG)
                       ? ErrorCode::kInvalidInput
                       : ErrorCode::kIo;
  std::string hint = err == ENOENT   ? " (check the file name)"
                     : err == EISDIR ? " (it is a directory: give a file)"
                     : err == EACCES ? " (no permission: check the file's owner and mode)"
                                     : "";
  return MakeError(code, "cannot " + what + " '" + path + "': " + ErrnoText(err) + hint);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> ReadFile(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return IoError("open", path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WritePrivateFile(const std::string& path, std::string_view data, bool replace) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
  Fd f{::open(path.c_str(), flags, 0600)};
  if (f.fd < 0) return IoError("create", path, errno);
  if (::fchmod(f.fd, 0600) != 0) return IoError("chmod", path, errno);
  MXIR_RETURN_IF_ERROR(WriteAll(f.fd, data, path));
  if (::fsync(f.fd) != 0) return IoError("sync", path, errno);
  return Status::Ok();
}

namespace {

// A name no other user can guess: 16 random hex digits (the kernel's getrandom).
std::string RandomSuffix() {
  unsigned char b[8] = {};
  if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
    // getrandom cannot fail for 8 bytes once the pool is ready; fall back to the clock and pid.
    uint64_t v = static_cast<uint64_t>(::getpid()) ^ static_cast<uint64_t>(::time(nullptr)) << 20;
    std::memcpy(b, &v, sizeof b);
  }
  return HexLower(b, sizeof b);
}

}  // namespace

Status ReplaceFileAtomically(const std::string& path_given, std::string_view data, mode_t mode) {
  // A symlink is followed to the file it names, and that file is replaced: renaming over the
  // link itself would leave the real file (the one the server reads) unchanged.
  std::string path = path_given;
  struct stat lst {};
  if (::lstat(path_given.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char* real = ::realpath(path_given.c_str(), nullptr);
    if (real == nullptr) return IoError("resolve the symlink", path_given, errno);
    path = real;
    ::free(real);
  }
  struct stat st {};
  bool existed = ::stat(path.c_str(), &st) == 0;
  // Say what is wrong with the path the user gave, never the temporary file's name.
  if (existed && S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is a directory: give a file name (e.g. " +
                         (path.empty() || path.back() == '/' ? path : path + "/") + "report.html)");
  }
  if (!existed) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat dst {};
    if (::stat(dir.c_str(), &dst) != 0) {
      return MakeError(ErrorCode::kInvalidInput, "directory " + dir + " does not exist (for '" +
                                                     path + "'): create it first");
    }
    if (!S_ISDIR(dst.st_mode)) {
      return MakeError(ErrorCode::kInvalidInput,
                       "'" + dir + "' is not a directory (for '" + path + "')");
    }
  }
  if (existed && !S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is not a regular file");
  }
  // The temporary file is created O_EXCL under a random name beside the target: a name someone
  // else created first (in a shared directory) is never used, and never makes the write fail.
  std::string tmp;
  Fd f;
  for (int attempt = 0; attempt < 16 && f.fd < 0; ++attempt) {
    tmp = path + ".mxir-tmp-" + RandomSuffix();
    f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f.fd < 0 && errno != EEXIST) return IoError("create", path_given, errno);
  }
  if (f.fd < 0) return IoError("create", path_given, EEXIST);
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  if (existed) {
    if (::fchown(f.fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
      return fail(IoError("chown", tmp, errno));
    }
    if (::fchmod(f.fd, st.st_mode & 07777) != 0) return fail(IoError("chmod", tmp, errno));
  } else if (::fchmod(f.fd, mode) != 0) {
    return fail(IoError("chmod", tmp, errno));
  }
  if (Status s = WriteAll(f.fd, data, tmp); !s.ok()) return fail(s);
  if (::fsync(f.fd) != 0) return fail(IoError("sync", tmp, errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(IoError("replace", path, errno));
  return Status::Ok();
}

Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes) {
  // O_NOFOLLOW: a symlink is refused (ELOOP); O_NONBLOCK: opening a FIFO does not wait for a
  // writer. Then only a regular file is read, and at most max_bytes of it.
  Fd f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ELOOP) {
      return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is a symlink (not followed)");
    }
    return IoError("open", path, errno);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return IoError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out;
  char buf[65536];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(f.fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return HexLower(md, len);
}

Result<std::string> Sha256OfFile(const std::string& path) {
  FileSha256 hash(path);
  hash.Run();
  return hash.Hash();
}

Error FileError(const std::string& what, const std::string& path, int err) {
  return IoError(what, path, err);
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<mode_t> FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
  return static_cast<mode_t>(st.st_mode & 07777);
}

std::string ExecutablePath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string ExecutableDir() {
  std::string path = ExecutablePath();
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

}  // namespace mxir
