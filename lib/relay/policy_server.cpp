#include "relay/policy_server.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace mxir::relay {

namespace asio = boost::asio;

namespace {

template <typename Socket>
class Connection : public std::enable_shared_from_this<Connection<Socket>> {
 public:
  Connection(Socket socket, PolicyServer& server)
      : socket_(std::move(socket)),
        shared_(server.shared()),
        idle_seconds_(server.options().idle_timeout_seconds),
        parser_(server.options().limits),
        timer_(socket_.get_executor()) {}
  ~Connection() { --shared_->open_connections; }

  void Start() {
    ++shared_->open_connections;
    last_activity_ = std::chrono::steady_clock::now();
    ArmTimer(std::chrono::seconds(idle_seconds_));
    Read();
  }

 private:
  // One idle timer per connection, re-armed only when it fires (a read just records the time:
  // cancelling and re-arming a timer per request would cost a handler and a heap operation each).
  void ArmTimer(std::chrono::steady_clock::duration after) {
    timer_.expires_after(after);
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      auto idle_for = std::chrono::steady_clock::now() - self->last_activity_;
      auto limit = std::chrono::seconds(self->idle_seconds_);
      if (idle_for >= limit) {
        self->Close();
      } else {
        self->ArmTimer(limit - idle_for);
      }
    });
  }
  void Close() {
    boost::system::error_code ec;
    timer_.cancel();
    socket_.close(ec);
  }
  void Read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = this->shared_from_this()](boost::system::error_code ec,
                                                              size_t n) { self->OnRead(ec, n); });
  }
  void OnRead(boost::system::error_code ec, size_t n) {
    if (!shared_->server) {  // the server is gone (shutdown): just close
      Close();
      return;
    }
    PolicyServer& server_ = *shared_->server;
    last_activity_ = std::chrono::steady_clock::now();
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        server_.Log("policy connection read error: " + ec.message());
      }
      if (ec == asio::error::eof && parser_.HasPartial()) {
        ++server_.mutable_stats().malformed;
        server_.Log("policy connection closed in the middle of a request (not answered)");
      }
      Close();
      return;
    }
    requests_.clear();
    bool ok = parser_.Feed(std::string_view(buf_.data(), n), requests_);
    out_.clear();
    bool commit = false;
    for (auto& r : requests_) {
      if (!server_.Handle(r, out_, &commit)) {
        Close();  // fail closed: no answer to this request, nor to any after it
        return;
      }
    }
    if (!ok) {
      ++server_.mutable_stats().malformed;
      server_.Log("malformed policy request (" + parser_.error() +
                  "): connection closed without an answer");
    }
    if (commit) {
      // The answers wait until the counters they committed are on disk.
      server_.WhenPersisted([self = this->shared_from_this(), ok](bool written) {
        if (!written) {
          self->Close();
          return;
        }
        self->Send(ok);
      });
      return;
    }
    Send(ok);
  }
  // Sends out_; then reads on, or (after a malformed request) closes.
  void Send(bool go_on) {
    if (out_.empty()) {
      if (go_on) {
        Read();
      } else {
        Close();
      }
      return;
    }
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = this->shared_from_this(), go_on](boost::system::error_code ec, size_t) {
          if (ec || !go_on) {
            self->Close();
            return;
          }
          self->Read();
        });
  }

  Socket socket_;
  std::shared_ptr<PolicyServer::Shared> shared_;
  int idle_seconds_;
  PolicyParser parser_;
  asio::steady_timer timer_;
  std::array<char, 8192> buf_{};
  std::vector<PolicyRequest> requests_;
  std::string out_;
  std::chrono::steady_clock::time_point last_activity_;
};

}  // namespace

struct PolicyServer::Impl {
  std::unique_ptr<asio::ip::tcp::acceptor> tcp;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  std::string unix_path;

  // The counter writer thread (the only user of the counter store while it runs).
  using Callbacks = std::vector<std::function<void(bool)>>;
  std::thread writer;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::vector<CounterRow> rows;  // to write (a failed transaction's rows first)
  int64_t prune_before = 0;
  Callbacks callbacks;  // answers waiting for `rows`

  void StartWriter(asio::io_context& io, CounterStore* store,
                   std::shared_ptr<PolicyServer::Shared> shared) {
    writer = std::thread(
        [this, &io, store, shared = std::move(shared)] { WriterLoop(io, store, shared); });
  }
  void StopWriter() {
    if (!writer.joinable()) return;
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_one();
    writer.join();
  }
  void WriterLoop(asio::io_context& io, CounterStore* store,
                  const std::shared_ptr<PolicyServer::Shared>& shared) {
    std::vector<CounterRow> batch;
    for (;;) {
      std::unique_lock lock(mu);
      // Rows without a waiting answer (a failed transaction's) are retried with the next commit
      // or at the end, never in a loop.
      cv.wait(lock, [&] { return stop || !callbacks.empty(); });
      if (callbacks.empty() && rows.empty()) return;  // stopping, nothing left
      batch.swap(rows);
      rows.clear();
      Callbacks waiting = std::move(callbacks);
      callbacks.clear();
      int64_t prune = std::exchange(prune_before, 0);
      bool stopping = stop;
      lock.unlock();
      Status st = batch.empty() ? Status::Ok() : store->Append(batch);
      bool written = st.ok();
      if (written && prune != 0) st = store->PruneBefore(prune);
      lock.lock();
      if (!written) {
        // Kept for the next transaction (a busy or full disk may recover); bounded so a store
        // that stays broken cannot take all memory.
        batch.insert(batch.end(), std::make_move_iterator(rows.begin()),
                     std::make_move_iterator(rows.end()));
        rows.swap(batch);
        if (rows.size() > 200000) rows.erase(rows.begin(), rows.begin() + 100000);
      }
      batch.clear();
      lock.unlock();
      std::string error = st.ok() ? "" : st.error().message;
      asio::post(io, [shared, waiting = std::move(waiting), error] {
        if (!error.empty() && shared->server) {
          ++shared->server->mutable_stats().errors;
          shared->server->Log("counters not written (" + error +
                              "): the answers that needed them are not sent");
        }
        for (auto& f : waiting) f(error.empty());
      });
      if (stopping && !written) return;  // one last try only
    }
  }
};

PolicyServer::PolicyServer(asio::io_context& io, Guard& guard, AuditSink* audit,
                           PolicyServerOptions options)
    : io_(io),
      guard_(guard),
      audit_(audit),
      opts_(std::move(options)),
      impl_(new Impl),
      shared_(std::make_shared<Shared>()) {
  shared_->server = this;
  guard_.SetGroupCommit(true);
  if (guard_.store()) impl_->StartWriter(io_, guard_.store(), shared_);
}

PolicyServer::~PolicyServer() {
  Close();
  shared_->server = nullptr;
}

void PolicyServer::Close() {
  boost::system::error_code ec;
  if (impl_->tcp) impl_->tcp->close(ec);
  if (impl_->unix_) {
    impl_->unix_->close(ec);
    if (!impl_->unix_path.empty()) ::unlink(impl_->unix_path.c_str());
    impl_->unix_path.clear();
  }
  impl_->StopWriter();
}

namespace {

template <typename Acceptor, typename Socket>
void Accept(Acceptor& acc, PolicyServer& server) {
  acc.async_accept([&acc, &server](boost::system::error_code ec, Socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      ++server.mutable_stats().connections;
      if (server.shared()->open_connections >= server.options().max_connections) {
        ++server.mutable_stats().refused_connections;
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection<Socket>>(std::move(socket), server)->Start();
      }
    } else {
      server.Log("accept failed: " + ec.message());
    }
    if (acc.is_open()) Accept<Acceptor, Socket>(acc, server);
  });
}

}  // namespace

Status PolicyServer::Listen() {
  try {
    if (opts_.listen.rfind("unix:", 0) == 0) {
      std::string path = opts_.listen.substr(5);
      if (path.empty() || path[0] != '/') {
        return MakeError(ErrorCode::kUsage, "--listen unix:PATH needs an absolute path");
      }
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
          return MakeError(ErrorCode::kUsage, path +
                                                  " exists and is not a socket: refusing to "
                                                  "replace it");
        }
        ::unlink(path.c_str());  // a stale socket of an earlier run
      }
      impl_->unix_ = std::make_unique<asio::local::stream_protocol::acceptor>(
          io_, asio::local::stream_protocol::endpoint(path));
      impl_->unix_path = path;
      ::chmod(path.c_str(), opts_.socket_mode);
      Accept<asio::local::stream_protocol::acceptor, asio::local::stream_protocol::socket>(
          *impl_->unix_, *this);
      return Status::Ok();
    }
    if (opts_.listen.rfind("inet:", 0) == 0) {
      std::string hp = opts_.listen.substr(5);
      auto colon = hp.rfind(':');
      if (colon == std::string::npos) {
        return MakeError(ErrorCode::kUsage, "--listen inet:HOST:PORT needs a port");
      }
      auto addr = asio::ip::make_address(hp.substr(0, colon));
      int port = std::stoi(hp.substr(colon + 1));
      if (port < 0 || port > 65535) return MakeError(ErrorCode::kUsage, "bad port in --listen");
      if (!addr.is_loopback()) {
        return MakeError(ErrorCode::kUsage,
                         "--listen: the policy service listens on loopback or a unix socket only "
                         "(it answers anyone who connects)");
      }
      asio::ip::tcp::endpoint ep(addr, static_cast<unsigned short>(port));
      impl_->tcp = std::make_unique<asio::ip::tcp::acceptor>(io_);
      impl_->tcp->open(ep.protocol());
      impl_->tcp->set_option(asio::socket_base::reuse_address(true));
      impl_->tcp->bind(ep);
      impl_->tcp->listen(asio::socket_base::max_listen_connections);
      Accept<asio::ip::tcp::acceptor, asio::ip::tcp::socket>(*impl_->tcp, *this);
      return Status::Ok();
    }
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kIo, "cannot listen on " + opts_.listen + ": " + e.what());
  }
  return MakeError(ErrorCode::kUsage, "--listen must be unix:/PATH or inet:HOST:PORT");
}

std::string PolicyServer::bound_address() const {
  if (impl_->tcp) {
    auto ep = impl_->tcp->local_endpoint();
    return "inet:" + ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  return "unix:" + impl_->unix_path;
}

bool PolicyServer::Handle(const PolicyRequest& r, std::string& reply, bool* commit) {
  ++stats_.requests;
  auto d = guard_.Decide(r);
  if (!d.ok()) {
    ++stats_.errors;
    Log("policy request not answered (" + d.error().message + ")");
    return false;
  }
  std::string answer = FormatPolicyReply(d->action);
  if (d->commit) *commit = true;
  if (audit_ && d->rule != "not_a_policy_request" && d->rule != "stage_not_guarded") {
    if (!audit_->RecordPolicy(r, *d)) {
      ++stats_.errors;
      Log("the audit trail refused a record (queue full or case unwritable): not answered");
      return false;
    }
  }
  reply += answer;
  return true;
}

void PolicyServer::WhenPersisted(std::function<void(bool)> then) {
  waiting_.push_back(std::move(then));
  if (flush_posted_) return;
  flush_posted_ = true;
  // Posted: it runs after the handlers of the reads that completed in this turn of the loop.
  asio::post(io_, [shared = shared_] {
    PolicyServer* self = shared->server;
    if (!self) return;
    self->flush_posted_ = false;
    Impl& impl = *self->impl_;
    if (impl.writer.joinable()) {
      int64_t prune = 0;
      auto rows = self->guard_.TakeUnsaved(&prune);
      {
        std::lock_guard lock(impl.mu);
        if (!impl.stop) {
          impl.rows.insert(impl.rows.end(), std::make_move_iterator(rows.begin()),
                           std::make_move_iterator(rows.end()));
          impl.prune_before = std::max(impl.prune_before, prune);
          for (auto& f : self->waiting_) impl.callbacks.push_back(std::move(f));
          self->waiting_.clear();
          rows.clear();
        }
      }
      if (self->waiting_.empty()) {
        impl.cv.notify_one();
        return;
      }
      // The writer has stopped (Close): written here, as without it.
      self->guard_.Requeue(std::move(rows));
    }
    Status st = self->guard_.Flush();
    if (!st.ok()) {
      ++self->stats_.errors;
      self->Log("counters not written (" + st.error().message +
                "): the answers that needed them are not sent");
    }
    auto waiting = std::move(self->waiting_);
    self->waiting_.clear();
    for (auto& f : waiting) f(st.ok());
  });
}

}  // namespace mxir::relay
