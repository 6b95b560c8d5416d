// mxir relay policy: the guard-rail policy service Postfix asks at RCPT, DATA and END-OF-MESSAGE.
#include <csignal>
#include <iostream>
#include <utility>

#include <boost/asio.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "commands.h"
#include "core/clock.h"
#include "relay/audit.h"
#include "relay/counter_store.h"
#include "relay/guard.h"
#include "relay/policy_server.h"

namespace mxir::tools {

namespace {

// The accounts under investigation: RELAY.ini's investigate plus the case's account_compromise
// findings.
Result<std::set<std::string>> Investigated(const relay::RelayConfig& c,
                                           const std::string& case_path) {
  std::set<std::string> out(c.investigate.begin(), c.investigate.end());
  if (!case_path.empty()) {
    MXIR_ASSIGN_OR_RETURN(auto from_case, relay::InvestigatedFromCase(case_path));
    out.insert(from_case.begin(), from_case.end());
  }
  return out;
}

std::string Now() { return DefaultClock().Now().ToString(); }

}  // namespace

int RelayPolicyCommand(int argc, char** argv) {
  std::string config_path, listen, counters, pid_file;
  Cli cli("relay policy", "the relay's guard-rail policy service",
          "--config RELAY.ini [--listen unix:PATH|inet:HOST:PORT] [--case FILE]",
          "Serves the Postfix policy delegation protocol for the relay instance: Postfix asks it\n"
          "about every recipient (RCPT), every message (DATA) and its end (END-OF-MESSAGE), and\n"
          "it answers DUNNO (go on), REJECT (sender not the company's, or not the login's own),\n"
          "HOLD/REJECT/DEFER_IF_PERMIT (an account under investigation, as RELAY.ini says), a\n"
          "deferral (4.7.1) when a per-account or per-client hourly limit would be passed, or\n"
          "452 4.5.3 past the per-message recipient cap. Counts live in INSTANCE_DIR's SQLite\n"
          "file and survive restarts. With --case, every decision is recorded in the case's\n"
          "audit trail and accounts with an account_compromise finding are under investigation.\n"
          "A malformed request closes its connection unanswered (Postfix then answers 451 and\n"
          "the mail waits); the service keeps running. SIGHUP re-reads RELAY.ini and the case's\n"
          "findings without losing counts; SIGTERM stops it.");
  cli.options().add_options()(
      "config", po::value<std::string>(&config_path)->value_name("RELAY.ini"),
      "the relay's settings")("listen", po::value<std::string>(&listen)->value_name("ADDR"),
                              "unix:/PATH or inet:127.0.0.1:PORT [RELAY.ini policy_listen, "
                              "else the instance's private/mxir-policy socket]")(
      "counters", po::value<std::string>(&counters)->value_name("FILE"),
      "the counters database [INSTANCE_DIR/policy-counters.sqlite]")(
      "pid-file", po::value<std::string>(&pid_file)->value_name("FILE"),
      "write the process id here while running");
  cli.AddCase(false);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  if (auto st = CheckNowOverride(); !st.ok()) return cli.Fail(st);
  auto cfg = relay::LoadRelayConfig(config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  if (listen.empty()) listen = cfg->policy_listen_address();
  if (counters.empty()) counters = cfg->counters_path();
  auto inv = Investigated(*cfg, cli.common.case_path);
  if (!inv.ok()) return cli.Fail(inv.error());
  auto store = relay::SqliteCounterStore::Open(counters);
  if (!store.ok()) return cli.Fail(store.error());
  relay::Guard guard(*cfg, store->get(), DefaultClock());
  guard.SetInvestigated(*inv);
  if (auto st = guard.Load(); !st.ok()) return cli.Fail(st);
  std::unique_ptr<relay::CaseAuditWriter> audit;
  if (!cli.common.case_path.empty()) {
    auto a = relay::CaseAuditWriter::Start(cli.common.case_path);
    if (!a.ok()) return cli.Fail(a.error());
    audit = std::move(*a);
  }
  boost::asio::io_context io(1);
  relay::PolicyServerOptions opts;
  opts.listen = listen;
  relay::PolicyServer server(io, guard, audit.get(), opts);
  server.set_log(
      [](const std::string& m) { std::cerr << Now() << " mxir relay policy: " << m << "\n"; });
  if (auto st = server.Listen(); !st.ok()) return cli.Fail(st);
  if (!pid_file.empty()) {
    std::string tmp = pid_file + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    std::string text = std::to_string(::getpid()) + "\n";
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::close(fd) != 0 || ::rename(tmp.c_str(), pid_file.c_str()) != 0) {
      return cli.Fail(MakeError(ErrorCode::kIo, "cannot write the pid file " + pid_file));
    }
  }
  std::cerr << Now() << " mxir relay policy: listening on " << server.bound_address() << " ("
            << inv->size() << " account(s) under investigation, mode "
            << relay::InvestigationModeName(cfg->under_investigation) << ")" << std::endl;
  // Through the audit writer: one connection to the case per process.
  if (audit) {
    relay::AuditRecord start;
    start.target = server.bound_address();
    start.action = "relay policy start";
    start.outcome = "running";
    start.details = nlohmann::ordered_json{{"config", config_path}, {"investigated", *inv}};
    audit->Record(std::move(start));
  }

  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](boost::system::error_code, int sig) {
    std::cerr << Now() << " mxir relay policy: signal " << sig << ", stopping" << std::endl;
    server.Close();
    io.stop();
  });
  boost::asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      auto c2 = relay::LoadRelayConfig(config_path);
      auto inv2 = c2.ok() ? Investigated(*c2, cli.common.case_path)
                          : Result<std::set<std::string>>(c2.error());
      if (c2.ok() && inv2.ok()) {
        guard.SetConfig(*c2);
        guard.SetInvestigated(*inv2);
        std::cerr << Now() << " mxir relay policy: reloaded (" << inv2->size()
                  << " account(s) under investigation; counters kept)" << std::endl;
      } else {
        std::cerr << Now() << " mxir relay policy: reload failed, keeping the old settings: "
                  << (c2.ok() ? inv2.error().message : c2.error().message) << std::endl;
      }
      wait_hup();
    });
  };
  wait_hup();
  ::signal(SIGPIPE, SIG_IGN);
  io.run();
  server.Close();  // the counter writer thread has written its queue and stopped
  // Commits decided in the last turn of the loop (their answers were not sent: counting them errs
  // on the safe side).
  if (auto st = guard.Flush(); !st.ok()) {
    std::cerr << Now() << " mxir relay policy: " << st.error().message << std::endl;
  }
  if (audit) audit->Stop();
  const auto& s = server.stats();
  std::cerr << Now() << " mxir relay policy: stopped after " << s.connections << " connections, "
            << s.requests << " requests, " << s.malformed << " malformed, " << s.errors
            << " unanswered on error" << std::endl;
  if (!pid_file.empty()) ::unlink(pid_file.c_str());
  return kExitOk;
}

}  // namespace mxir::tools
