#include "relay/policy_server.h"

#include <array>

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
    Read();
  }

 private:
  void ArmTimer() {
    timer_.expires_after(std::chrono::seconds(idle_seconds_));
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->Close();
    });
  }
  void Close() {
    boost::system::error_code ec;
    timer_.cancel();
    socket_.close(ec);
  }
  void Read() {
    ArmTimer();
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
    for (const auto& r : requests_) {
      std::string reply;
      if (!server_.Handle(r, reply)) {
        Close();  // fail closed: no answer to this request, nor to any after it
        return;
      }
      out_ += reply;
    }
    if (!ok) {
      ++server_.mutable_stats().malformed;
      server_.Log("malformed policy request (" + parser_.error() +
                  "): connection closed without an answer");
      // Answers to the complete requests before the bad bytes are still sent, then we close.
      if (out_.empty()) {
        Close();
        return;
      }
      asio::async_write(
          socket_, asio::buffer(out_),
          [self = this->shared_from_this()](boost::system::error_code, size_t) { self->Close(); });
      return;
    }
    if (out_.empty()) {
      Read();
      return;
    }
    asio::async_write(socket_, asio::buffer(out_),
                      [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                        if (ec) {
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
};

}  // namespace

struct PolicyServer::Impl {
  std::unique_ptr<asio::ip::tcp::acceptor> tcp;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  std::string unix_path;
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

bool PolicyServer::Handle(const PolicyRequest& r, std::string& reply) {
  ++stats_.requests;
  auto d = guard_.Decide(r);
  if (!d.ok()) {
    ++stats_.errors;
    Log("policy request not answered (" + d.error().message + ")");
    return false;
  }
  if (audit_ && d->rule != "not_a_policy_request" && d->rule != "stage_not_guarded") {
    AuditRecord rec;
    rec.target = d->account.empty() ? CleanText(r.Get("sasl_username"), 256) : d->account;
    rec.action = "policy " + CleanText(r.Get("protocol_state"), 32);
    auto sp = d->action.find(' ');
    rec.outcome = d->action.substr(0, sp);
    nlohmann::ordered_json j;
    j["decision"] = CleanText(d->action);
    j["rule"] = d->rule;
    j["instance"] = CleanText(r.Get("instance"), 64);
    j["queue_id"] = CleanText(r.Get("queue_id"), 64);
    j["protocol_state"] = CleanText(r.Get("protocol_state"), 32);
    j["client_address"] = CleanText(r.Get("client_address"), 64);
    j["sasl_username"] = CleanText(r.Get("sasl_username"), 256);
    j["sender"] = CleanText(r.Get("sender"), 320);
    j["recipient"] = CleanText(r.Get("recipient"), 320);
    j["recipient_count"] = CleanText(r.Get("recipient_count"), 16);
    j["size"] = CleanText(r.Get("size"), 24);
    j["counts"] = d->counts;
    rec.details = std::move(j);
    if (!audit_->Record(std::move(rec))) {
      ++stats_.errors;
      Log("the audit trail refused a record (queue full or case unwritable): not answered");
      return false;
    }
  }
  reply = FormatPolicyReply(d->action);
  return true;
}

}  // namespace mxir::relay
