#include "relay/instance_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks/crypt_hash.h"
#include "hooks/secret_ref.h"
#include "relay/postfix_config.h"

namespace mxir::relay {

namespace {

Status WriteFileAtomic(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return MakeError(ErrorCode::kIo, "cannot write " + tmp + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kIo, "cannot finish " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kIo, "cannot rename to " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + path + ": " + ec.message());
  if (::chmod(path.c_str(), mode) != 0) {
    return MakeError(ErrorCode::kIo, "cannot chmod " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status WriteInstance(const RelayConfig& c, const std::string& dir,
                     std::vector<std::string>* written) {
  struct passwd* pw = ::getpwnam("postfix");
  if (!pw) {
    return MakeError(ErrorCode::kNotFound,
                     "there is no 'postfix' user: install Postfix (apt-get install postfix) first");
  }
  MXIR_RETURN_IF_ERROR(MakeDir(dir, 0755));
  for (const auto& sub : {std::string(""), std::string("/queue"), std::string("/dovecot"),
                          std::string("/dovecot/run"), std::string("/dovecot/state")}) {
    MXIR_RETURN_IF_ERROR(MakeDir(c.instance_dir + sub, 0755));
  }
  MXIR_RETURN_IF_ERROR(MakeDir(c.data_directory(), 0700));
  if (::chown(c.data_directory().c_str(), pw->pw_uid, static_cast<gid_t>(-1)) != 0) {
    return MakeError(ErrorCode::kIo, "cannot give " + c.data_directory() +
                                         " to the postfix user: " + std::strerror(errno) +
                                         " (run as root)");
  }
  for (const auto& f : GenerateInstanceFiles(c, dir)) {
    MXIR_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + f.name, f.content, 0644));
    if (written) written->push_back(f.name);
  }
  // The SASL passwd-file: "login:{SHA512-CRYPT}hash" per line, never the password itself.
  std::string passwd;
  for (const auto& l : c.logins) {
    auto secret = hooks::ReadPrivateFile(l.secret_file, "the password of login " + l.name);
    if (!secret.ok()) return secret.error();
    std::string pwtext = *secret;
    while (!pwtext.empty() && (pwtext.back() == '\n' || pwtext.back() == '\r')) pwtext.pop_back();
    if (pwtext.empty()) {
      return MakeError(ErrorCode::kInvalidInput,
                       l.secret_file + ": the password of login " + l.name + " is empty");
    }
    auto hash = hooks::HashPassword(pwtext, hooks::CryptScheme::kSha512Crypt);
    std::fill(pwtext.begin(), pwtext.end(), '\0');
    if (!hash.ok()) return hash.error();
    passwd += l.name + ":" + *hash + "\n";
  }
  std::string ppath = dir + "/sasl-passwd";
  MXIR_RETURN_IF_ERROR(WriteFileAtomic(ppath, passwd, 0640));
  if (struct group* g = ::getgrnam("dovecot")) {
    if (::chown(ppath.c_str(), 0, g->gr_gid) != 0) {
      return MakeError(ErrorCode::kIo, "cannot chown " + ppath + ": " + std::strerror(errno));
    }
  } else {
    ::chmod(ppath.c_str(), 0600);
  }
  if (written) written->push_back("sasl-passwd");
  return Status::Ok();
}

}  // namespace mxir::relay
