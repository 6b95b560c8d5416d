// The Boost.Asio policy server over real sockets: many requests per connection, many connections,
// a malformed request closes only its connection without an answer, the service goes on; every
// decision reaches the audit sink.
#include "relay/policy_server.h"

#include <condition_variable>
#include <mutex>
#include <random>
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
    r.Materialize();
    std::lock_guard lock(mu);
    records.push_back(std::move(r));
    return accept;
  }
  std::mutex mu;
  std::vector<AuditRecord> records;
  bool accept = true;
};

// A policy server on a free loopback port, run by its own thread; stopped (Close, then the
// thread joined) when it goes out of scope. `store` keeps the counters (nullptr: none),
// `audit` gets every decision (nullptr: none).
class RunningServer {
 public:
  RunningServer(const Clock& clock, CounterStore* store, AuditSink* audit)
      : guard_(testing::TestConfig(), store, clock) {
    PolicyServerOptions o;
    o.listen = "inet:127.0.0.1:0";
    server_ = std::make_unique<PolicyServer>(io_, guard_, audit, o);
    Status listening = server_->Listen();
    EXPECT_TRUE(listening.ok()) << listening.error().message;
    if (!listening.ok()) return;
    std::string addr = server_->bound_address();
    port_ = std::stoi(addr.substr(addr.rfind(':') + 1));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningServer() {
    if (!thread_.joinable()) return;
    boost::asio::post(io_, [this] {
      server_->Close();
      io_.stop();
    });
    thread_.join();
  }
  int port() const { return port_; }
  PolicyServer& server() { return *server_; }

 private:
  boost::asio::io_context io_;
  Guard guard_;
  std::unique_ptr<PolicyServer> server_;
  std::thread thread_;
  int port_ = 0;
};

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    running = std::make_unique<RunningServer>(clock, nullptr, &audit);
    port = running->port();
    ASSERT_NE(port, 0);
  }
  void TearDown() override { running.reset(); }
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

  // A request as Postfix sends it for session `inst` at `state` ("RCPT", "DATA", ...), with
  // `extra` lines ("recipient=...\n") before the empty line that ends it.
  static std::string Request(const std::string& inst, const std::string& state,
                             const std::string& extra) {
    return "request=smtpd_access_policy\nclient_address=192.0.2.10\n"
           "sasl_username=relay\nsender=bob@company.example\ninstance=" +
           inst + "\nprotocol_state=" + state + "\n" + extra + "\n";
  }

  ManualClock clock{Timestamp::FromSeconds(1796000000)};
  FakeAudit audit;
  std::unique_ptr<RunningServer> running;  // the server of every test; counters kept by none
  int port = 0;                            // where Connect() connects
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
  EXPECT_GE(running->server().stats().malformed, 5u);
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
  EXPECT_EQ(running->server().stats().requests, static_cast<uint64_t>(kConns * kEach));
}

}  // namespace
}  // namespace mxir::relay

namespace mxir::relay {
namespace {

// Property: the audit details are written as JSON text directly (no JSON tree in the writer);
// whatever bytes a client sends, the text parses and each field equals CleanText of the value.
TEST(AuditRecord, DetailsTextIsValidJsonForAnyBytes) {
  std::mt19937 rng(15);
  static constexpr char kAlphabet[] = "ab\"\\\n\r\t\x01\x7f\xc3\xa9\xe2\x82\xac\xff\xc0 {}";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // every byte but the final NUL
  for (int round = 0; round < 500; ++round) {
    auto random_text = [&] {
      std::string s;
      size_t n = rng() % 40;
      for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
      return s;
    };
    AuditRecord rec;
    AuditRecord::Policy p;
    std::string sender = random_text(), rcpt = random_text(), login = random_text();
    p.request.attributes = {{"protocol_state", "RCPT"},
                            {"sender", sender},
                            {"recipient", rcpt},
                            {"sasl_username", login},
                            {"instance", random_text()}};
    p.decision.action = "REJECT 5.7.1 " + random_text();
    p.decision.rule = "sender_domain";
    p.decision.ts_us = 1796000000000000 + round;
    if (round % 2) {
      p.decision.counts.account_messages = round;
      p.decision.counts.account_recipients = 2 * round;
      p.decision.counts.account_domains = 1;
    }
    p.decision.counts.client_recipients = round % 3 ? 7 : -1;
    rec.policy = std::move(p);
    std::string text;
    rec.MaterializeText(&text);
    auto j = nlohmann::ordered_json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["sender"], CleanText(sender, 320));
    EXPECT_EQ(j["recipient"], CleanText(rcpt, 320));
    EXPECT_EQ(j["sasl_username"], CleanText(login, 256));
    EXPECT_EQ(j["rule"], "sender_domain");
    EXPECT_EQ(j["counts"].contains("account_messages"), round % 2 == 1);
    EXPECT_EQ(j["counts"].contains("client_recipients"), round % 3 != 0);
    EXPECT_EQ(rec.action, "policy RCPT");
    EXPECT_EQ(rec.outcome, "REJECT");
    EXPECT_EQ(rec.ts_us, 1796000000000000 + round);
  }
}

}  // namespace
}  // namespace mxir::relay

namespace mxir::relay {
namespace {

class LockedStore final : public CounterStore {
 public:
  Status Append(const std::vector<CounterRow>& rows) override {
    std::lock_guard lock(mu);
    ++appends;
    if (fail) return MakeError(ErrorCode::kIo, "disk full (simulated)");
    all.insert(all.end(), rows.begin(), rows.end());
    return Status::Ok();
  }
  Result<std::vector<CounterRow>> LoadSince(int64_t) override { return all; }
  Status PruneBefore(int64_t) override { return Status::Ok(); }
  std::mutex mu;
  std::vector<CounterRow> all;
  int appends = 0;
  bool fail = false;
};

// Group commit: an END-OF-MESSAGE answer is sent only after its counts are in the store (one
// write for the commits of one turn of the event loop); when the write fails, that answer is
// never sent (Postfix then answers 451) and the service goes on.
TEST_F(ServerFixture, EndOfMessageAnsweredOnlyAfterItsCountsAreStored) {
  LockedStore store;
  RunningServer s2(clock, &store, nullptr);
  port = s2.port();
  ASSERT_NE(port, 0);
  auto message = [](const std::string& inst) {
    return Request(inst, "RCPT", "recipient=x@ext.example\n") +
           Request(inst, "DATA", "recipient_count=1\n") +
           Request(inst, "END-OF-MESSAGE", "recipient_count=1\n");
  };
  // Several connections send whole messages at once: every answer arrives, and each EOM's rows
  // were stored before its answer (checked when the answer is read).
  std::vector<int> fds;
  for (int c = 0; c < 4; ++c) fds.push_back(Connect());
  for (int c = 0; c < 4; ++c) SendAll(fds[c], message("m" + std::to_string(c)));
  for (int c = 0; c < 4; ++c) {
    bool eof = false;
    EXPECT_EQ(Read(fds[c], 3, &eof), "action=DUNNO\n\naction=DUNNO\n\naction=DUNNO\n\n");
  }
  {
    std::lock_guard lock(store.mu);
    EXPECT_EQ(store.all.size(), 8u);  // account + client row per message
    EXPECT_LE(store.appends, 4);
    store.fail = true;
  }
  SendAll(fds[0], message("broken"));
  bool eof = false;
  EXPECT_EQ(Read(fds[0], 3, &eof), "");  // the answers waited for the write, which failed
  EXPECT_TRUE(eof);
  {
    std::lock_guard lock(store.mu);
    store.fail = false;
  }
  SendAll(fds[1], message("after"));
  EXPECT_EQ(Read(fds[1], 3, &eof), "action=DUNNO\n\naction=DUNNO\n\naction=DUNNO\n\n");
  for (int fd : fds) ::close(fd);
  std::lock_guard lock(store.mu);
  EXPECT_GE(store.all.size(), 10u);  // the retried rows of "broken" and those of "after"
}

}  // namespace
}  // namespace mxir::relay

namespace mxir::relay {
namespace {

// A store whose transactions wait until the test opens the gate: a slow disk (or SQLite's
// checkpoint with its fdatasync) made deterministic.
class GatedStore final : public CounterStore {
 public:
  Status Append(const std::vector<CounterRow>& rows) override {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
    all.insert(all.end(), rows.begin(), rows.end());
    return Status::Ok();
  }
  Result<std::vector<CounterRow>> LoadSince(int64_t) override { return all; }
  Status PruneBefore(int64_t) override { return Status::Ok(); }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<CounterRow> all;
  int entered = 0;
  bool open = false;
};

// The counters are written in their own thread: while an END-OF-MESSAGE's transaction is being
// written, other connections' requests are answered; that END-OF-MESSAGE's answer comes only
// after its rows are in the store.
TEST_F(ServerFixture, RequestsAreAnsweredWhileCountersAreBeingWritten) {
  GatedStore store;
  RunningServer s2(clock, &store, nullptr);
  // Destroyed before s2: an early failed assertion never leaves the writer blocked at the gate
  // while s2 stops.
  struct OpenGateAtEnd {
    GatedStore& store;
    ~OpenGateAtEnd() {
      {
        std::lock_guard lock(store.mu);
        store.open = true;
      }
      store.cv.notify_all();
    }
  } open_gate_at_end{store};
  port = s2.port();
  ASSERT_NE(port, 0);
  int a = Connect(), b = Connect();
  SendAll(a, Request("m1", "RCPT", "recipient=x@ext.example\n") +
                 Request("m1", "DATA", "recipient_count=1\n"));
  bool eof = false;
  EXPECT_EQ(Read(a, 2, &eof), "action=DUNNO\n\naction=DUNNO\n\n");
  SendAll(a, Request("m1", "END-OF-MESSAGE", "recipient_count=1\n"));
  {
    std::unique_lock lock(store.mu);
    ASSERT_TRUE(store.cv.wait_for(lock, std::chrono::seconds(5), [&] { return store.entered; }));
  }
  // The transaction is blocked: another session's RCPT and DATA are answered meanwhile, and
  // its END-OF-MESSAGE waits (its commit joins the next transaction).
  SendAll(b, Request("m2", "RCPT", "recipient=y@ext.example\n") +
                 Request("m2", "DATA", "recipient_count=1\n"));
  EXPECT_EQ(Read(b, 2, &eof), "action=DUNNO\n\naction=DUNNO\n\n");
  SendAll(b, Request("m2", "END-OF-MESSAGE", "recipient_count=1\n"));
  EXPECT_EQ(Read(a, 1, &eof, 200), "");
  EXPECT_EQ(Read(b, 1, &eof, 50), "");
  {
    std::lock_guard lock(store.mu);
    EXPECT_TRUE(store.all.empty());
    store.open = true;
  }
  store.cv.notify_all();
  EXPECT_EQ(Read(a, 1, &eof), "action=DUNNO\n\n");
  EXPECT_EQ(Read(b, 1, &eof), "action=DUNNO\n\n");
  {
    std::lock_guard lock(store.mu);
    EXPECT_EQ(store.all.size(), 4u);  // account + client row of each message
    EXPECT_EQ(store.entered, 2);      // m1's transaction, then m2's
  }
  ::close(a);
  ::close(b);
}

}  // namespace
}  // namespace mxir::relay
