// bench_relay_policy_load: the same Postfix policy request stream against any policy server.
// For each of --messages messages (accounts taken round robin from --accounts), the three
// requests Postfix sends for one message with one recipient: RCPT, DATA, END-OF-MESSAGE. Like
// Postfix's smtpd, each connection (TCP --port, or a unix socket --unix, as Postfix's smtpd reaches
// a policy service in its private/ directory) has one request outstanding at a time; --connections
// of them run in parallel; and like Postfix, a message whose RCPT or DATA is not answered DUNNO/OK
// ends there (no DATA or END-OF-MESSAGE for a deferred or rejected message). --client events
// (default) drives all connections from one thread with epoll; --client threads gives each its
// own thread with blocking send/recv. Prints one JSON object: requests, seconds,
// requests_per_second, p50_us, p99_us, client, connections, and the answers seen (by verb).
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
#include <sys/epoll.h>
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

const char* const kStates[] = {"RCPT", "DATA", "END-OF-MESSAGE"};

// The request Postfix's smtpd sends for message `m` (account m % accounts) on connection `c`
// at protocol state `state` (0 RCPT, 1 DATA, 2 END-OF-MESSAGE).
std::string Request(int c, int m, int accounts, int state) {
  int acct = m % accounts;
  std::string user = "user" + std::to_string(acct) + "@company.example";
  std::string inst = "bench." + std::to_string(c) + "." + std::to_string(m);
  std::string client = "10.0." + std::to_string(acct / 250) + "." + std::to_string(acct % 250 + 1);
  bool rcpt = state == 0;
  return std::string("request=smtpd_access_policy\nprotocol_state=") + kStates[state] +
         "\nprotocol_name=ESMTP\nclient_address=" + client +
         "\nclient_name=unknown\nhelo_name=mta.company.example\nsender=" + user + "\nrecipient=" +
         (rcpt ? "rcpt" + std::to_string(m % 97) + "@partner" + std::to_string(m % 13) + ".example"
               : std::string()) +
         "\nrecipient_count=" + (rcpt ? "0" : "1") + "\nqueue_id=\ninstance=" + inst +
         "\nsize=2048\nsasl_method=PLAIN\nsasl_username=" + user +
         "\nsasl_sender=\nencryption_protocol=TLSv1.3\n\n";
}

// The answer's verb, upper case ("action=dunno\n\n" -> "DUNNO").
std::string Verb(const std::string& buf) {
  std::string verb = buf.size() > 7 ? buf.substr(7, buf.find_first_of(" \n", 7) - 7) : "";
  for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return verb;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", unix_path, mode = "events";
  int port = 0, messages = 100000, accounts = 500, conns = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port") port = std::atoi(argv[i + 1]);
    if (a == "--unix") unix_path = argv[i + 1];
    if (a == "--messages") messages = std::atoi(argv[i + 1]);
    if (a == "--accounts") accounts = std::atoi(argv[i + 1]);
    if (a == "--connections") conns = std::atoi(argv[i + 1]);
    if (a == "--client") mode = argv[i + 1];
  }
  if ((port <= 0 && unix_path.empty()) || conns < 1 || accounts < 1 ||
      (mode != "events" && mode != "threads")) {
    std::fprintf(stderr,
                 "usage: bench_relay_policy_load --port P|--unix PATH [--messages N] "
                 "[--accounts A] [--connections C] [--client events|threads]\n");
    return 2;
  }
  auto open_conn = [&] { return unix_path.empty() ? Connect(host, port) : ConnectUnix(unix_path); };
  std::vector<std::vector<int64_t>> lat(conns);
  std::vector<std::map<std::string, int64_t>> verbs(conns);
  std::atomic<int> errors{0};
  auto t0 = std::chrono::steady_clock::now();
  if (mode == "threads") {
    // One thread per connection, blocking send and recv (each answer wakes its own thread).
    std::vector<std::thread> threads;
    for (int c = 0; c < conns; ++c) {
      threads.emplace_back([&, c] {
        int fd = open_conn();
        if (fd < 0) {
          ++errors;
          return;
        }
        std::string buf;
        char rb[4096];
        for (int m = c; m < messages; m += conns) {
          for (int state = 0; state < 3; ++state) {
            std::string req = Request(c, m, accounts, state);
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
            std::string verb = Verb(buf);
            ++verbs[c][verb];
            if (verb != "DUNNO" && verb != "OK") break;  // the message ends here, as in Postfix
          }
        }
        ::close(fd);
      });
    }
    for (auto& t : threads) t.join();
  } else {
    // One thread drives every connection with epoll: the same requests, still one outstanding
    // per connection, but the generator's own CPU (a wake-up and a thread switch per answer in
    // the threads mode) stays small, so on a small machine the service measured gets the CPU.
    struct Conn {
      int fd = -1, m = 0, state = 0;
      std::string buf;
      std::chrono::steady_clock::time_point sent;
    };
    std::vector<Conn> cs(conns);
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    int active = 0;
    auto send_next = [&](int c) -> bool {  // false: this connection is done or broken
      Conn& k = cs[c];
      if (k.m >= messages) return false;
      std::string req = Request(c, k.m, accounts, k.state);
      k.buf.clear();
      k.sent = std::chrono::steady_clock::now();
      if (::send(k.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        ++errors;
        return false;
      }
      return true;
    };
    auto finish = [&](int c) {
      ::epoll_ctl(ep, EPOLL_CTL_DEL, cs[c].fd, nullptr);
      ::close(cs[c].fd);
      cs[c].fd = -1;
      --active;
    };
    for (int c = 0; c < conns; ++c) {
      cs[c].m = c;
      cs[c].fd = open_conn();
      if (cs[c].fd < 0) {
        ++errors;
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(c);
      ::epoll_ctl(ep, EPOLL_CTL_ADD, cs[c].fd, &ev);
      ++active;
      if (!send_next(c)) finish(c);
    }
    std::vector<epoll_event> evs(conns);
    char rb[4096];
    while (active > 0) {
      int n = ::epoll_wait(ep, evs.data(), conns, 30000);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        errors += active;  // no answer within 30 s
        break;
      }
      for (int i = 0; i < n; ++i) {
        int c = static_cast<int>(evs[i].data.u32);
        Conn& k = cs[c];
        ssize_t got = ::recv(k.fd, rb, sizeof rb, 0);
        if (got <= 0) {
          ++errors;
          finish(c);
          continue;
        }
        k.buf.append(rb, static_cast<size_t>(got));
        if (k.buf.find("\n\n") == std::string::npos) continue;
        auto e = std::chrono::steady_clock::now();
        lat[c].push_back(std::chrono::duration_cast<std::chrono::microseconds>(e - k.sent).count());
        std::string verb = Verb(k.buf);
        ++verbs[c][verb];
        // The message ends at an answer other than DUNNO/OK, as in Postfix, or after its
        // END-OF-MESSAGE.
        if ((verb != "DUNNO" && verb != "OK") || ++k.state == 3) {
          k.state = 0;
          k.m += conns;
        }
        if (!send_next(c)) finish(c);
      }
    }
    ::close(ep);
  }
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
      "\"p50_us\": %lld, \"p99_us\": %lld, \"client\": \"%s\", \"connections\": %d, "
      "\"answers\": {",
      all.size(), errors.load(), secs, all.size() / secs, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.99)), mode.c_str(), conns);
  bool first = true;
  for (auto& [k, v] : vs) {
    std::printf("%s\"%s\": %lld", first ? "" : ", ", k.c_str(), static_cast<long long>(v));
    first = false;
  }
  std::printf("}}\n");
  return errors.load() ? 1 : 0;
}
