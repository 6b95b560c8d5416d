// bench_relay_xclient_shim: lets smtp-source (which cannot STARTTLS or AUTH) reach the relay's
// Postfix as a logged-in client, for the end-to-end benchmark only. For each connection accepted
// on --listen PORT (loopback), it connects to the bench listener of the relay's Postfix
// (--to PORT, loopback, which lists 127.0.0.1 in smtpd_authorized_xclient_hosts), reads the
// greeting, sends EHLO and `XCLIENT LOGIN=<--login>` (Postfix then treats the session as
// authenticated by that login, so the policy service sees sasl_username exactly as after AUTH),
// hands Postfix's new greeting to the client and from then on copies bytes both ways unchanged.
// The same shim sits in front of Postfix in the runs with and without the policy service.
// Runs until killed; at most --max-connections at a time (one thread each).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads one complete SMTP reply (the last line has a space after the code); "" on error.
std::string ReadReply(int fd) {
  std::string got;
  char c;
  for (;;) {
    if (got.size() > 65536) return "";
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n <= 0) return "";
    got += c;
    if (c == '\n') {
      size_t start = got.rfind('\n', got.size() - 2);
      start = start == std::string::npos ? 0 : start + 1;
      if (got.size() - start >= 4 && got[start + 3] == ' ') return got;
    }
  }
}

void Pump(int client, int server) {
  pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  char buf[16384];
  for (;;) {
    if (::poll(p, 2, 600000) <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      if (!SendAll(p[1 - i].fd, buf, static_cast<size_t>(n))) return;
    }
  }
}

void Serve(int client, int to_port, const std::string& login) {
  int server = ConnectLoopback(to_port);
  if (server >= 0) {
    std::string greet = ReadReply(server);
    std::string ehlo;
    std::string cmd = "EHLO shim.bench.invalid\r\n";
    if (greet.rfind("220", 0) == 0 && SendAll(server, cmd.data(), cmd.size())) {
      ehlo = ReadReply(server);
    }
    std::string after;
    cmd = "XCLIENT LOGIN=" + login + "\r\n";
    if (ehlo.rfind("250", 0) == 0 && SendAll(server, cmd.data(), cmd.size())) {
      after = ReadReply(server);  // Postfix answers XCLIENT with a new 220 greeting
    }
    if (after.rfind("220", 0) == 0) {
      if (SendAll(client, after.data(), after.size())) Pump(client, server);
    } else {
      std::fprintf(stderr, "bench_relay_xclient_shim: XCLIENT refused: %s%s%s", greet.c_str(),
                   ehlo.c_str(), after.c_str());
      const char* no = "421 4.3.0 bench shim: XCLIENT refused\r\n";
      SendAll(client, no, std::strlen(no));
    }
    ::close(server);
  }
  ::close(client);
}

}  // namespace

int main(int argc, char** argv) {
  int listen_port = 0, to_port = 0, max_conns = 64;
  std::string login = "relay";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--listen") listen_port = std::atoi(argv[i + 1]);
    if (a == "--to") to_port = std::atoi(argv[i + 1]);
    if (a == "--login") login = argv[i + 1];
    if (a == "--max-connections") max_conns = std::atoi(argv[i + 1]);
  }
  if (listen_port <= 0 || to_port <= 0 || login.empty() ||
      login.find_first_of(" \r\n") != std::string::npos) {
    std::fprintf(stderr,
                 "usage: bench_relay_xclient_shim --listen PORT --to PORT [--login NAME] "
                 "[--max-connections N]\n");
    return 2;
  }
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(listen_port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(lfd, 128) != 0) {
    std::perror("bench_relay_xclient_shim: listen");
    return 1;
  }
  std::atomic<int> open{0};
  for (;;) {
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    if (open.load() >= max_conns) {
      ::close(c);
      continue;
    }
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++open;
    std::thread([c, to_port, login, &open] {
      Serve(c, to_port, login);
      --open;
    }).detach();
  }
}
