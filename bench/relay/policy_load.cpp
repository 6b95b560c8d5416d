// bench_relay_policy_load: the same Postfix policy request stream against any policy server.
// For each of --messages messages (accounts taken round robin from --accounts), the three
// requests Postfix sends for one message with one recipient: RCPT, DATA, END-OF-MESSAGE. Like
// Postfix's smtpd, each connection (TCP --port, or a unix socket --unix, as Postfix's smtpd reaches
// a policy service in its private/ directory) has one request outstanding at a time; --connections
// of them run in parallel; and like Postfix, a message whose RCPT or DATA is not answered DUNNO/OK
// ends there (no DATA or END-OF-MESSAGE for a deferred or rejected message). Prints one JSON
// object: requests, seconds, requests_per_second, p50_us, p99_us, and the answers seen (by verb).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

int ConnectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return -1;
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int Connect(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", unix_path;
  int port = 0, messages = 100000, accounts = 500, conns = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port") port = std::atoi(argv[i + 1]);
    if (a == "--unix") unix_path = argv[i + 1];
    if (a == "--messages") messages = std::atoi(argv[i + 1]);
    if (a == "--accounts") accounts = std::atoi(argv[i + 1]);
    if (a == "--connections") conns = std::atoi(argv[i + 1]);
  }
  if (port <= 0 && unix_path.empty()) {
    std::fprintf(stderr,
                 "usage: bench_relay_policy_load --port P|--unix PATH [--messages N] "
                 "[--accounts A] [--connections C]\n");
    return 2;
  }
  std::vector<std::vector<int64_t>> lat(conns);
  std::vector<std::map<std::string, int64_t>> verbs(conns);
  std::atomic<int> errors{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&, c] {
      int fd = unix_path.empty() ? Connect(host, port) : ConnectUnix(unix_path);
      if (fd < 0) {
        ++errors;
        return;
      }
      std::string buf;
      char rb[4096];
      for (int m = c; m < messages; m += conns) {
        int acct = m % accounts;
        std::string user = "user" + std::to_string(acct) + "@company.example";
        std::string inst = "bench." + std::to_string(c) + "." + std::to_string(m);
        std::string client =
            "10.0." + std::to_string(acct / 250) + "." + std::to_string(acct % 250 + 1);
        for (const char* state : {"RCPT", "DATA", "END-OF-MESSAGE"}) {
          std::string req =
              std::string("request=smtpd_access_policy\nprotocol_state=") + state +
              "\nprotocol_name=ESMTP\nclient_address=" + client +
              "\nclient_name=unknown\nhelo_name=mta.company.example\nsender=" + user +
              "\nrecipient=" +
              (std::strcmp(state, "RCPT") == 0 ? "rcpt" + std::to_string(m % 97) + "@partner" +
                                                     std::to_string(m % 13) + ".example"
                                               : std::string()) +
              "\nrecipient_count=" + (std::strcmp(state, "RCPT") == 0 ? "0" : "1") +
              "\nqueue_id=\ninstance=" + inst +
              "\nsize=2048\nsasl_method=PLAIN\nsasl_username=" + user +
              "\nsasl_sender=\nencryption_protocol=TLSv1.3\n\n";
          auto s = std::chrono::steady_clock::now();
          if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) !=
              static_cast<ssize_t>(req.size())) {
            ++errors;
            ::close(fd);
            return;
          }
          buf.clear();
          while (buf.find("\n\n") == std::string::npos) {
            ssize_t n = ::recv(fd, rb, sizeof rb, 0);
            if (n <= 0) {
              ++errors;
              ::close(fd);
              return;
            }
            buf.append(rb, static_cast<size_t>(n));
          }
          auto e = std::chrono::steady_clock::now();
          lat[c].push_back(std::chrono::duration_cast<std::chrono::microseconds>(e - s).count());
          std::string verb = buf.substr(7, buf.find_first_of(" \n", 7) - 7);
          for (auto& ch : verb)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          ++verbs[c][verb];
          if (verb != "DUNNO" && verb != "OK") break;  // the message ends here, as in Postfix
        }
      }
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<int64_t> all;
  std::map<std::string, int64_t> vs;
  for (int c = 0; c < conns; ++c) {
    all.insert(all.end(), lat[c].begin(), lat[c].end());
    for (auto& [k, v] : verbs[c]) vs[k] += v;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "{\"requests\": %zu, \"errors\": %d, \"seconds\": %.3f, \"requests_per_second\": %.0f, "
      "\"p50_us\": %lld, \"p99_us\": %lld, \"answers\": {",
      all.size(), errors.load(), secs, all.size() / secs, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.99)));
  bool first = true;
  for (auto& [k, v] : vs) {
    std::printf("%s\"%s\": %lld", first ? "" : ", ", k.c_str(), static_cast<long long>(v));
    first = false;
  }
  std::printf("}}\n");
  return errors.load() ? 1 : 0;
}
