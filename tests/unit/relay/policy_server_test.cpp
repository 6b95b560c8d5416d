// The Boost.Asio policy server over real sockets: many requests per connection, many connections,
// a malformed request closes only its connection without an answer, the service goes on; every
// decision reaches the audit sink.
#include "relay/policy_server.h"

#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_config.h"

namespace mxir::relay {
namespace {

class FakeAudit final : public AuditSink {
 public:
  bool Record(AuditRecord r) override {
    std::lock_guard lock(mu);
    records.push_back(std::move(r));
    return accept;
  }
  std::mutex mu;
  std::vector<AuditRecord> records;
  bool accept = true;
};

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    guard = std::make_unique<Guard>(testing::TestConfig(), nullptr, clock);
    PolicyServerOptions o;
    o.listen = "inet:127.0.0.1:0";
    server = std::make_unique<PolicyServer>(io, *guard, &audit, o);
    ASSERT_TRUE(server->Listen().ok());
    auto addr = server->bound_address();
    port = std::stoi(addr.substr(addr.rfind(':') + 1));
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    boost::asio::post(io, [this] {
      server->Close();
      io.stop();
    });
    thread.join();
  }
  int Connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return fd;
  }
  static void SendAll(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // Reads until `replies` complete answers ("\n\n") arrived, or EOF/timeout. Returns the text;
  // *eof tells whether the server closed the connection.
  static std::string Read(int fd, int replies, bool* eof, int timeout_ms = 3000) {
    std::string got;
    *eof = false;
    auto count = [&] {
      int n = 0;
      for (size_t p = got.find("\n\n"); p != std::string::npos; p = got.find("\n\n", p + 2)) ++n;
      return n;
    };
    while (count() < replies || replies == 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        *eof = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  static std::string Rcpt(const std::string& inst,
                          const std::string& sender = "bob@company.example") {
    return "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.10\n"
           "sasl_username=relay\nsender=" +
           sender + "\nrecipient=x@ext.example\ninstance=" + inst + "\n\n";
  }

  ManualClock clock{Timestamp::FromSeconds(1796000000)};
  boost::asio::io_context io;
  std::unique_ptr<Guard> guard;
  FakeAudit audit;
  std::unique_ptr<PolicyServer> server;
  std::thread thread;
  int port = 0;
};

TEST_F(ServerFixture, ManyRequestsOnOneConnectionInOneWrite) {
  int fd = Connect();
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += Rcpt("i" + std::to_string(i));
  batch += Rcpt("j", "eve@evil.example");
  SendAll(fd, batch);
  bool eof = false;
  std::string got = Read(fd, 6, &eof);
  EXPECT_FALSE(eof);
  std::string expect;
  for (int i = 0; i < 5; ++i) expect += "action=DUNNO\n\n";
  expect += "action=REJECT 5.7.1 sender eve@evil.example is not in the company's domains\n\n";
  EXPECT_EQ(got, expect);
  ::close(fd);
  std::lock_guard lock(audit.mu);
  ASSERT_EQ(audit.records.size(), 6u);
  EXPECT_EQ(audit.records[5].outcome, "REJECT");
  EXPECT_EQ(audit.records[5].details["rule"], "sender_domain");
  EXPECT_EQ(audit.records[0].action, "policy RCPT");
}

TEST_F(ServerFixture, MalformedClosesOnlyThatConnectionWithoutAnswer) {
  int good = Connect();
  SendAll(good, Rcpt("g1"));
  bool eof = false;
  EXPECT_EQ(Read(good, 1, &eof), "action=DUNNO\n\n");
  for (const std::string& bad :
       {std::string("request=smtpd_access_policy\nrequest=smtpd_access_policy\n\n"),
        std::string("request=smtpd_access_policy\nsender=") + std::string(5000, 'a') + "\n\n",
        std::string("request=smtpd_access_policy\nsender=a\0b\n\n", 40),
        std::string("garbage without equals\n\n")}) {
    int fd = Connect();
    SendAll(fd, bad);
    std::string got = Read(fd, 0, &eof);
    EXPECT_TRUE(eof);
    EXPECT_EQ(got, "");  // no answer at all: Postfix applies default_action (451)
    ::close(fd);
  }
  // EOF in the middle of a request: no answer either.
  int half = Connect();
  SendAll(half, "request=smtpd_access_policy\nprotocol_state=RCPT\n");
  ::shutdown(half, SHUT_WR);
  EXPECT_EQ(Read(half, 0, &eof), "");
  EXPECT_TRUE(eof);
  ::close(half);
  // The first connection and new ones still work.
  SendAll(good, Rcpt("g2"));
  EXPECT_EQ(Read(good, 1, &eof), "action=DUNNO\n\n");
  int again = Connect();
  SendAll(again, Rcpt("g3"));
  EXPECT_EQ(Read(again, 1, &eof), "action=DUNNO\n\n");
  ::close(good);
  ::close(again);
  EXPECT_GE(server->stats().malformed, 5u);
}

TEST_F(ServerFixture, AuditRefusalMeansNoAnswer) {
  audit.accept = false;
  int fd = Connect();
  SendAll(fd, Rcpt("a1"));
  bool eof = false;
  EXPECT_EQ(Read(fd, 0, &eof), "");
  EXPECT_TRUE(eof);
  ::close(fd);
}

TEST_F(ServerFixture, ManyConnectionsAtOnce) {
  constexpr int kConns = 50, kEach = 40;
  std::vector<int> fds;
  for (int c = 0; c < kConns; ++c) fds.push_back(Connect());
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int c = 0; c < kConns; ++c) {
    ts.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        // One recipient per message: a distinct instance and sender each time.
        SendAll(fds[c],
                Rcpt("c" + std::to_string(c) + "m" + std::to_string(i),
                     "s" + std::to_string(c) + "x" + std::to_string(i) + "@company.example"));
        bool eof = false;
        std::string got = Read(fds[c], 1, &eof);
        if (got.rfind("action=", 0) == 0) ++ok;
      }
    });
  }
  for (auto& t : ts) t.join();
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(ok.load(), kConns * kEach);
  EXPECT_EQ(server->stats().requests, static_cast<uint64_t>(kConns * kEach));
}

}  // namespace
}  // namespace mxir::relay
