#include "hooks/dovecot_auth_client.h"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/secret_fingerprint.h"
#include "hooks/encoding.h"

namespace mxir::hooks {
namespace {

class LineSocket {
 public:
  LineSocket(int fd, std::chrono::steady_clock::time_point deadline)
      : fd_(fd), deadline_(deadline) {}
  ~LineSocket() { ::close(fd_); }

  Status Write(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return MakeError(ErrorCode::kUnavailable, "auth socket write: " + ErrnoText(errno));
      off += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Result<std::string> ReadLine() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (buf_.size() > 65536)
        return MakeError(ErrorCode::kUnavailable, "auth socket: line too long");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0) return MakeError(ErrorCode::kUnavailable, "auth socket: timed out");
      pollfd p{fd_, POLLIN, 0};
      int pr = ::poll(&p, 1, static_cast<int>(left.count()));
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) continue;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return MakeError(ErrorCode::kUnavailable, "auth socket closed by Dovecot");
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::chrono::steady_clock::time_point deadline_;
  std::string buf_;
};

}  // namespace

Result<AuthVerdict> DovecotAuthCheck(const std::string& socket_path, const std::string& user,
                                     const std::string& password,
                                     std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return MakeError(ErrorCode::kUsage, "auth socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, "socket: " + ErrnoText(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kUnavailable,
                     "cannot reach Dovecot's auth socket '" + socket_path + "': " + ErrnoText(err));
  }
  LineSocket sock(fd, std::chrono::steady_clock::now() + timeout);
  MXIR_RETURN_IF_ERROR(sock.Write("VERSION\t1\t2\nCPID\t" + std::to_string(::getpid()) + "\n"));
  bool plain = false;
  for (int i = 0; i < 200; ++i) {  // the handshake is a few lines, ending with DONE
    MXIR_ASSIGN_OR_RETURN(std::string line, sock.ReadLine());
    if (line.rfind("VERSION\t1\t", 0) == 0 || line.rfind("SPID", 0) == 0 ||
        line.rfind("CUID", 0) == 0 || line.rfind("COOKIE", 0) == 0) {
      continue;
    }
    if (line.rfind("MECH\tPLAIN", 0) == 0) plain = true;
    if (line == "DONE") break;
    if (line.rfind("VERSION", 0) == 0) {
      return MakeError(ErrorCode::kUnavailable, "Dovecot auth protocol version not supported");
    }
  }
  if (!plain) {
    return MakeError(
        ErrorCode::kUnavailable,
        "Dovecot's auth socket does not offer PLAIN (set auth_mechanisms = plain login)");
  }
  std::string resp = std::string(1, '\0') + user + std::string(1, '\0') + password;
  std::string request =
      "AUTH\t1\tPLAIN\tservice=smtp\tno-penalty\tresp=" + Base64Encode(resp) + "\n";
  SecureWipe(resp);
  Status sent = sock.Write(request);
  SecureWipe(request);
  MXIR_RETURN_IF_ERROR(sent);
  for (int i = 0; i < 20; ++i) {
    MXIR_ASSIGN_OR_RETURN(std::string line, sock.ReadLine());
    if (line.rfind("OK\t1", 0) == 0) return AuthVerdict::kAccepted;
    if (line.rfind("FAIL\t1", 0) == 0) return AuthVerdict::kRejected;
    if (line.rfind("CONT\t1", 0) == 0) {
      return MakeError(ErrorCode::kUnavailable, "Dovecot asked for more than one PLAIN round");
    }
  }
  return MakeError(ErrorCode::kUnavailable, "no answer to AUTH from Dovecot's auth socket");
}

}  // namespace mxir::hooks
