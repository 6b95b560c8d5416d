// PolicyServer: the mxir relay policy service (Postfix policy delegation) on Boost.Asio.
// One io_context thread serves every connection (the guard's state is then single-threaded and
// needs no locks); each connection carries any number of requests, answered in order. A malformed
// request, EOF inside a request, or a guard/store/audit error closes that connection without an
// answer — Postfix then applies its default_action (451 4.3.5, fail closed) — and the service goes
// on. Connections beyond the cap are closed at once; idle connections close after the timeout.
// Group commit: the guard keeps END-OF-MESSAGE commits in memory; after the requests that are
// ready in one turn of the event loop have been decided, their commits go to the counter writer
// thread, which writes everything queued in one transaction, and only then are their answers sent
// (a failed write closes those connections unanswered). So an answer is never sent for a count
// that is not in the counters file, and the event loop never waits for the disk: while a
// transaction (or SQLite's checkpoint with its fdatasync) is being written, RCPT and DATA
// requests are answered and the commits that arrive meanwhile join the next transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "core/status.h"
#include "relay/audit.h"
#include "relay/guard.h"
#include "relay/policy_protocol.h"

namespace mxir::relay {

struct PolicyServerOptions {
  std::string listen;  // unix:/PATH or inet:HOST:PORT (port 0: any free port)
  PolicyLimits limits;
  size_t max_connections = 1024;
  int idle_timeout_seconds = 600;
  // Mode of a unix socket (Postfix's smtpd runs as user postfix).
  unsigned socket_mode = 0666;
};

struct PolicyServerStats {
  uint64_t connections = 0, requests = 0, malformed = 0, refused_connections = 0, errors = 0;
};

class PolicyServer {
 public:
  // `audit` may be null. `on_error` (optional) is told about malformed input and internal errors.
  PolicyServer(boost::asio::io_context& io, Guard& guard, AuditSink* audit,
               PolicyServerOptions options);
  ~PolicyServer();
  Status Listen();
  // "inet:127.0.0.1:PORT" with the port really bound, or "unix:/PATH".
  std::string bound_address() const;
  // Stops listening, and stops the counter writer thread after it has written what was queued
  // (later commits are written in the event loop's thread).
  void Close();
  const PolicyServerStats& stats() const { return stats_; }
  void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }

  // Internal (used by the connection classes).
  // Decides one request (appends the answer to `reply`); false: do not answer and close.
  // `*commit` is set when the answer must wait for the counters to be written (WhenPersisted).
  bool Handle(const PolicyRequest& r, std::string& reply, bool* commit);
  // Calls `then(true)` (in the event loop) once the guard's pending commits are written, or
  // `then(false)` when writing failed.
  void WhenPersisted(std::function<void(bool)> then);
  void Log(const std::string& m) {
    if (log_) log_(m);
  }
  PolicyServerStats& mutable_stats() { return stats_; }
  const PolicyServerOptions& options() const { return opts_; }
  // What connections share with the server; `server` is cleared when the server is destroyed,
  // so a connection outliving it (its handlers still queued in the io_context) touches nothing.
  struct Shared {
    PolicyServer* server = nullptr;
    size_t open_connections = 0;
  };
  const std::shared_ptr<Shared>& shared() const { return shared_; }

 private:
  struct Impl;
  boost::asio::io_context& io_;
  Guard& guard_;
  AuditSink* audit_;
  PolicyServerOptions opts_;
  PolicyServerStats stats_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::function<void(bool)>> waiting_;
  bool flush_posted_ = false;
};

}  // namespace mxir::relay
