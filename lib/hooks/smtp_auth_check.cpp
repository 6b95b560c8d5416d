#include "hooks/smtp_auth_check.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/ip_address.h"
#include "core/secret_fingerprint.h"
#include "hooks/encoding.h"

namespace mxir::hooks {
namespace {

using Clock = std::chrono::steady_clock;

class SmtpConnection {
 public:
  SmtpConnection(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
  ~SmtpConnection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    ::close(fd_);
  }

  Status Send(const std::string& line) {
    size_t off = 0;
    while (off < line.size()) {
      MXIR_RETURN_IF_ERROR(Wait(ssl_ != nullptr ? POLLIN | POLLOUT : POLLOUT));
      ssize_t n;
      if (ssl_ != nullptr) {
        n = SSL_write(ssl_, line.data() + off, static_cast<int>(line.size() - off));
        if (n <= 0) {
          int e = SSL_get_error(ssl_, static_cast<int>(n));
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
          return MakeError(ErrorCode::kUnavailable, "TLS write failed");
        }
      } else {
        n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) return MakeError(ErrorCode::kUnavailable, "send: " + ErrnoText(errno));
      }
      off += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // One complete reply (all its continuation lines); code and the text of the last line.
  Result<std::pair<int, std::string>> Reply() {
    std::string text;
    for (int lines = 0; lines < 100; ++lines) {
      MXIR_ASSIGN_OR_RETURN(std::string line, ReadLine());
      if (line.size() < 3) return MakeError(ErrorCode::kUnavailable, "malformed SMTP reply");
      text += line + "\n";
      if (line.size() == 3 || line[3] == ' ') {
        int code = std::atoi(line.substr(0, 3).c_str());
        if (code < 200 || code > 599)
          return MakeError(ErrorCode::kUnavailable, "malformed SMTP reply code");
        return std::make_pair(code, text);
      }
    }
    return MakeError(ErrorCode::kUnavailable, "SMTP reply with too many lines");
  }

  bool HasBuffered() const { return !buf_.empty(); }

  Status StartTls(const SmtpAuthTarget& t) {
    buf_.clear();  // only what arrives over TLS from here on
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return MakeError(ErrorCode::kInternal, "OpenSSL context");
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    // The server's own certificate as the only trust anchor: it may be a leaf issued by a CA,
    // so a chain ending at it (not at a self-signed root) is enough.
    if (t.pinned_cert)
      X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx_), X509_V_FLAG_PARTIAL_CHAIN);
    int ok = t.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                               : SSL_CTX_load_verify_locations(ctx_, t.ca_file.c_str(), nullptr);
    if (ok != 1) return MakeError(ErrorCode::kIo, "cannot load CA certificates " + t.ca_file);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    const std::string& name = t.tls_name.empty() ? t.host : t.tls_name;
    if (t.pinned_cert) {
      // identity = holding the pinned certificate's key; no name to check
    } else if (IpAddress::Parse(name).has_value()) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, name.c_str());
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
    for (;;) {
      int r = SSL_connect(ssl_);
      if (r == 1) break;
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ) {
        MXIR_RETURN_IF_ERROR(Wait(POLLIN));
      } else if (e == SSL_ERROR_WANT_WRITE) {
        MXIR_RETURN_IF_ERROR(Wait(POLLOUT));
      } else {
        long v = SSL_get_verify_result(ssl_);
        std::string why = v != X509_V_OK ? X509_verify_cert_error_string(v) : "handshake failed";
        return MakeError(
            ErrorCode::kUnavailable,
            "STARTTLS with " + t.host + ": " + why +
                (t.pinned_cert
                     ? " (the server did not present the certificate in " + t.ca_file + ")"
                     : " (give the server's CA with --ca-file, and the name in its "
                       "certificate with --tls-name)"));
      }
    }
    return Status::Ok();
  }

 private:
  Status Wait(short events) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return MakeError(ErrorCode::kUnavailable, "SMTP server timed out");
    pollfd p{fd_, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) return MakeError(ErrorCode::kUnavailable, "SMTP server timed out");
    return Status::Ok();
  }

  Result<std::string> ReadLine() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buf_.size() > 8192) return MakeError(ErrorCode::kUnavailable, "SMTP reply line too long");
      char tmp[2048];
      ssize_t n;
      if (ssl_ != nullptr && SSL_pending(ssl_) == 0) MXIR_RETURN_IF_ERROR(Wait(POLLIN));
      if (ssl_ != nullptr) {
        n = SSL_read(ssl_, tmp, sizeof tmp);
        if (n <= 0) {
          int e = SSL_get_error(ssl_, static_cast<int>(n));
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
          return MakeError(ErrorCode::kUnavailable, "SMTP server closed the TLS connection");
        }
      } else {
        MXIR_RETURN_IF_ERROR(Wait(POLLIN));
        n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) return MakeError(ErrorCode::kUnavailable, "SMTP server closed the connection");
      }
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  int fd_;
  Clock::time_point deadline_;
  std::string buf_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

Result<int> ConnectTcp(const SmtpAuthTarget& t, Clock::time_point deadline, bool* loopback) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(t.port);
  int rc = ::getaddrinfo(t.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0)
    return MakeError(ErrorCode::kUnavailable,
                     "cannot resolve '" + t.host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = ErrnoText(errno);
      ::close(fd);
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      last = err != 0 ? ErrnoText(err) : "timed out";
      ::close(fd);
      continue;
    }
    if (ai->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
      *loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    } else if (ai->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
      *loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
    }
    return fd;
  }
  return MakeError(ErrorCode::kUnavailable,
                   "cannot connect to " + t.host + ":" + port + ": " + last);
}

}  // namespace

Result<SmtpAuthTarget> ParseSmtpTarget(const std::string& text) {
  SmtpAuthTarget t;
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return MakeError(ErrorCode::kUsage,
                       "--smtp wants HOST:PORT or [IPv6]:PORT, got '" + text + "'");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return MakeError(ErrorCode::kUsage, "--smtp wants HOST:PORT, got '" + text + "'");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int p = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || p > 65535)
      return MakeError(ErrorCode::kUsage, "bad port in '" + text + "'");
    p = p * 10 + (c - '0');
  }
  if (port.empty() || p < 1 || p > 65535)
    return MakeError(ErrorCode::kUsage, "bad port in '" + text + "'");
  t.host = host;
  t.port = static_cast<uint16_t>(p);
  return t;
}

namespace {

constexpr const char* kEhloName = "mxir-reset.invalid";

// Greeting, EHLO, and STARTTLS whenever the server offers it (then EHLO again): the EHLO reply
// the session goes on with. Without STARTTLS, `*tls` stays false.
Result<std::string> OpenSession(SmtpConnection& c, const SmtpAuthTarget& target, bool* tls) {
  MXIR_ASSIGN_OR_RETURN(auto greeting, c.Reply());
  if (greeting.first != 220) {
    return MakeError(ErrorCode::kUnavailable, "SMTP server greeted with " + greeting.second);
  }
  MXIR_RETURN_IF_ERROR(c.Send(std::string("EHLO ") + kEhloName + "\r\n"));
  MXIR_ASSIGN_OR_RETURN(auto ehlo, c.Reply());
  if (ehlo.first != 250) return MakeError(ErrorCode::kUnavailable, "EHLO refused: " + ehlo.second);
  *tls = false;
  if (ehlo.second.find("STARTTLS") != std::string::npos) {
    MXIR_RETURN_IF_ERROR(c.Send("STARTTLS\r\n"));
    MXIR_ASSIGN_OR_RETURN(auto st, c.Reply());
    if (st.first != 220)
      return MakeError(ErrorCode::kUnavailable, "STARTTLS refused: " + st.second);
    // Nothing may follow the 220 in clear text: bytes already received after it were sent
    // before the handshake, by the server or by someone on the path, and would otherwise be
    // read as if they came over TLS (STARTTLS command injection, CVE-2011-0411).
    if (c.HasBuffered()) {
      return MakeError(ErrorCode::kUnavailable,
                       "the SMTP server (or something on the path) sent data after its reply to "
                       "STARTTLS, before the TLS handshake: refusing to go on (injection?)");
    }
    MXIR_RETURN_IF_ERROR(c.StartTls(target));
    *tls = true;
    MXIR_RETURN_IF_ERROR(c.Send(std::string("EHLO ") + kEhloName + "\r\n"));
    MXIR_ASSIGN_OR_RETURN(ehlo, c.Reply());
    if (ehlo.first != 250) return MakeError(ErrorCode::kUnavailable, "EHLO after STARTTLS refused");
  }
  return ehlo.second;
}

std::string Chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// An address for MAIL FROM / RCPT TO: printable ASCII without <>, spaces or controls.
bool PlainAddress(const std::string& a) {
  for (unsigned char ch : a) {
    if (ch <= 32 || ch >= 127 || ch == '<' || ch == '>') return false;
  }
  return true;
}

}  // namespace

std::string XtextEncode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : value) {
    if (ch < 33 || ch > 126 || ch == '+' || ch == '=') {
      out += '+';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  return out;
}

Result<SubmissionProbeOutcome> SmtpSubmissionProbe(const SmtpAuthTarget& target,
                                                   const SubmissionProbe& probe) {
  if (probe.login.empty() || probe.login.size() > 255 || !PlainAddress(probe.sender) ||
      probe.recipient.empty() || !PlainAddress(probe.recipient)) {
    return MakeError(ErrorCode::kUsage, "cannot probe with login '" + probe.login + "', sender '" +
                                            probe.sender + "', recipient '" + probe.recipient +
                                            "'");
  }
  auto deadline = Clock::now() + target.timeout;
  bool loopback = false;
  MXIR_ASSIGN_OR_RETURN(int fd, ConnectTcp(target, deadline, &loopback));
  SmtpConnection c(fd, deadline);
  SubmissionProbeOutcome out;
  MXIR_ASSIGN_OR_RETURN(std::string ehlo, OpenSession(c, target, &out.tls));
  // "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT"
  bool xclient_login = false;
  size_t pos = 0;
  for (int n = 0; pos < ehlo.size(); ++n) {
    size_t eol = ehlo.find('\n', pos);
    std::string line = ehlo.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? ehlo.size() : eol + 1;
    if (n == 0 || line.size() <= 4) continue;  // the first line names the server
    std::string kw = line.substr(4);
    std::string upper = kw;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (upper.rfind("XCLIENT ", 0) == 0 &&
        (" " + upper + " ").find(" LOGIN ") != std::string::npos) {
      xclient_login = true;
    }
  }
  auto done = [&](SubmissionProbeOutcome::Result r, int code, std::string text, const char* stage) {
    out.result = r;
    out.reply_code = code;
    out.reply_text = Chomp(std::move(text));
    out.stage = stage;
    (void)c.Send("QUIT\r\n");
    return out;
  };
  if (!xclient_login) {
    return done(SubmissionProbeOutcome::Result::kNoXclient, 250,
                "its EHLO reply offers no XCLIENT LOGIN", "EHLO");
  }
  if (probe.xclient_only) {
    return done(SubmissionProbeOutcome::Result::kXclientOffered, 250,
                "its EHLO reply offers XCLIENT LOGIN", "EHLO");
  }
  MXIR_RETURN_IF_ERROR(c.Send("XCLIENT LOGIN=" + XtextEncode(probe.login) + "\r\n"));
  MXIR_ASSIGN_OR_RETURN(auto xr, c.Reply());
  if (xr.first != 220) {
    return done(SubmissionProbeOutcome::Result::kNoXclient, xr.first,
                "XCLIENT refused with " + xr.second, "XCLIENT");
  }
  MXIR_RETURN_IF_ERROR(c.Send(std::string("EHLO ") + kEhloName + "\r\n"));
  MXIR_ASSIGN_OR_RETURN(auto e2, c.Reply());
  if (e2.first != 250) {
    return MakeError(ErrorCode::kUnavailable, "EHLO after XCLIENT refused: " + Chomp(e2.second));
  }
  MXIR_RETURN_IF_ERROR(c.Send("MAIL FROM:<" + probe.sender + ">\r\n"));
  MXIR_ASSIGN_OR_RETURN(auto mail, c.Reply());
  if (mail.first >= 400) {
    return done(SubmissionProbeOutcome::Result::kRefused, mail.first, mail.second, "MAIL");
  }
  MXIR_RETURN_IF_ERROR(c.Send("RCPT TO:<" + probe.recipient + ">\r\n"));
  MXIR_ASSIGN_OR_RETURN(auto rcpt, c.Reply());
  // Never DATA: end the transaction either way, so nothing is queued.
  (void)c.Send("RSET\r\n");
  return done(rcpt.first >= 400 ? SubmissionProbeOutcome::Result::kRefused
                                : SubmissionProbeOutcome::Result::kAccepted,
              rcpt.first, rcpt.second, "RCPT");
}

Result<SmtpAuthOutcome> SmtpAuthCheck(const SmtpAuthTarget& target, const std::string& user,
                                      const std::string& password) {
  auto deadline = Clock::now() + target.timeout;
  bool loopback = false;
  MXIR_ASSIGN_OR_RETURN(int fd, ConnectTcp(target, deadline, &loopback));
  SmtpConnection c(fd, deadline);
  SmtpAuthOutcome out;
  MXIR_ASSIGN_OR_RETURN(std::string ehlo_text, OpenSession(c, target, &out.tls));
  std::pair<int, std::string> ehlo{250, ehlo_text};
  if (!out.tls && !loopback) {
    return MakeError(ErrorCode::kUsage, target.host +
                                            " offers no STARTTLS: mxir sends a password in clear "
                                            "text only to a loopback address");
  }
  if (ehlo.second.find("AUTH") == std::string::npos ||
      ehlo.second.find("PLAIN") == std::string::npos) {
    return MakeError(ErrorCode::kUnavailable, "the SMTP server does not offer AUTH PLAIN here");
  }
  std::string raw = std::string(1, '\0') + user + std::string(1, '\0') + password;
  std::string cmd = "AUTH PLAIN " + Base64Encode(raw) + "\r\n";
  SecureWipe(raw);
  Status sent = c.Send(cmd);
  SecureWipe(cmd);
  MXIR_RETURN_IF_ERROR(sent);
  MXIR_ASSIGN_OR_RETURN(auto reply, c.Reply());
  out.reply_code = reply.first;
  out.reply_text = reply.second;
  while (!out.reply_text.empty() && out.reply_text.back() == '\n') out.reply_text.pop_back();
  out.accepted = reply.first == 235;
  if (!out.accepted && reply.first < 500) {
    return MakeError(ErrorCode::kUnavailable, "AUTH gave a temporary answer: " + out.reply_text);
  }
  (void)c.Send("QUIT\r\n");
  return out;
}

}  // namespace mxir::hooks
