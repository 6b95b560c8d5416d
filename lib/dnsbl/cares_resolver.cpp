// The c-ares implementation of Resolver (see resolver.h).
#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>

#include <ares.h>
#include <arpa/nameser.h>
#include <sys/select.h>

#include "core/ip_address.h"
#include "dnsbl/resolver.h"

namespace mxir::dnsbl {

namespace {

struct Pending {
  DnsAnswer* answer = nullptr;
  DnsType type = DnsType::kA;
  int* in_flight = nullptr;
  int* group_in_flight = nullptr;
  bool* progressed = nullptr;
};

// Queries of one group (one zone) waiting to be sent, oldest first.
struct GroupQueue {
  std::deque<size_t> waiting;
  int in_flight = 0;
};

void OnReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* p = static_cast<Pending*>(arg);
  if (abuf != nullptr && alen > 0 && status != ARES_ECANCELLED && status != ARES_EDESTRUCTION) {
    *p->answer = DecodeDnsResponse(abuf, static_cast<size_t>(alen), p->type);
  } else {
    DnsAnswer& a = *p->answer;
    switch (status) {
      case ARES_ETIMEOUT:
      case ARES_ECANCELLED:
      case ARES_EDESTRUCTION:
        a.outcome = DnsOutcome::kTimeout;
        a.detail = "no answer from the DNS server (timeout)";
        break;
      case ARES_ENOTFOUND:
        a.outcome = DnsOutcome::kNxDomain;
        break;
      case ARES_ENODATA:
        a.outcome = DnsOutcome::kNoData;
        break;
      case ARES_ESERVFAIL:
        a.outcome = DnsOutcome::kServFail;
        a.detail = "SERVFAIL";
        break;
      case ARES_EREFUSED:
        a.outcome = DnsOutcome::kRefused;
        a.detail = "REFUSED";
        break;
      case ARES_EBADRESP:
      case ARES_EFORMERR:
        a.outcome = DnsOutcome::kMalformed;
        a.detail = std::string("bad DNS reply: ") + ares_strerror(status);
        break;
      default:
        a.outcome = DnsOutcome::kFailed;
        a.detail = std::string("DNS query failed: ") + ares_strerror(status);
    }
  }
  --*p->in_flight;
  --*p->group_in_flight;
  *p->progressed = true;
}

class CaresResolver final : public Resolver {
 public:
  explicit CaresResolver(ResolverOptions o) : options_(std::move(o)) {}
  ~CaresResolver() override {
    for (auto& [server, ch] : channels_) ares_destroy(ch);
  }

  Status Init() {
    static std::once_flag once;
    static int init_status = ARES_SUCCESS;
    std::call_once(once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
    if (init_status != ARES_SUCCESS) {
      return MakeError(ErrorCode::kInternal,
                       std::string("c-ares initialisation failed: ") + ares_strerror(init_status));
    }
    if (!options_.server.empty()) {
      MXIR_ASSIGN_OR_RETURN(default_server_, ParseServerSpec(options_.server));
    }
    ares_channel ch = nullptr;
    MXIR_ASSIGN_OR_RETURN(ch, MakeChannel(default_server_));
    channels_[default_server_] = ch;
    return Status::Ok();
  }

  std::vector<DnsAnswer> ResolveAll(const std::vector<DnsQuery>& queries) override {
    std::vector<DnsAnswer> answers(queries.size());
    std::vector<Pending> pending(queries.size());
    std::vector<ares_channel> chans(queries.size(), nullptr);
    std::vector<GroupQueue> groups;
    std::map<std::string, size_t> group_index;
    std::vector<size_t> group_of(queries.size(), 0);
    size_t waiting = 0;
    for (size_t i = 0; i < queries.size(); ++i) {
      auto ch = ChannelFor(queries[i].server);
      if (!ch.ok()) {
        answers[i].outcome = DnsOutcome::kFailed;
        answers[i].detail = ch.error().message;
        continue;
      }
      chans[i] = *ch;
      auto [it, added] = group_index.try_emplace(queries[i].group, groups.size());
      if (added) groups.emplace_back();
      group_of[i] = it->second;
      groups[it->second].waiting.push_back(i);
      ++waiting;
    }
    int in_flight = 0;
    bool progressed = false;
    size_t cursor = 0;  // round robin over the groups, so every zone moves at the same pace
    // Give up when nothing happened for longer than every try of one query could take.
    const auto stall_limit = std::chrono::milliseconds(
        static_cast<int64_t>(options_.timeout_ms) * ((1 << options_.tries) + 1) + 1000);
    auto last_progress = std::chrono::steady_clock::now();
    for (;;) {
      // Start queries up to the total limit, at most max_per_group per zone at a time.
      for (size_t scanned = 0;
           waiting > 0 && in_flight < options_.max_in_flight && scanned < groups.size();) {
        GroupQueue& g = groups[cursor];
        cursor = (cursor + 1) % groups.size();
        if (g.waiting.empty() || g.in_flight >= options_.max_per_group) {
          ++scanned;
          continue;
        }
        scanned = 0;
        size_t i = g.waiting.front();
        g.waiting.pop_front();
        --waiting;
        pending[i] = Pending{&answers[i], queries[i].type, &in_flight, &g.in_flight, &progressed};
        ++in_flight;
        ++g.in_flight;
        ares_query(chans[i], queries[i].name.c_str(), ns_c_in,
                   queries[i].type == DnsType::kA     ? ns_t_a
                   : queries[i].type == DnsType::kPtr ? ns_t_ptr
                   : queries[i].type == DnsType::kMx  ? ns_t_mx
                                                      : ns_t_txt,
                   OnReply, &pending[i]);
      }
      if (in_flight == 0 && waiting == 0) break;
      fd_set readers, writers;
      FD_ZERO(&readers);
      FD_ZERO(&writers);
      int nfds = 0;
      struct timeval wait = {0, 200000};
      for (auto& [server, ch] : channels_) {
        int n = ares_fds(ch, &readers, &writers);
        if (n > nfds) nfds = n;
        struct timeval buf;
        wait = *ares_timeout(ch, &wait, &buf);
      }
      select(nfds, &readers, &writers, nullptr, &wait);
      progressed = false;
      for (auto& [server, ch] : channels_) ares_process(ch, &readers, &writers);
      auto now = std::chrono::steady_clock::now();
      if (progressed) {
        last_progress = now;
      } else if (now - last_progress > stall_limit) {
        for (auto& [server, ch] : channels_) ares_cancel(ch);  // callbacks report kTimeout
        last_progress = now;
      }
    }
    return answers;
  }

 private:
  Result<ares_channel> MakeChannel(const std::string& server_csv) {
    ares_channel ch = nullptr;
    struct ares_options opts = {};
    opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    opts.timeout = options_.timeout_ms;
    opts.tries = options_.tries;
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    int st = ares_init_options(&ch, &opts, mask);
    if (st != ARES_SUCCESS) {
      return MakeError(ErrorCode::kUnavailable,
                       std::string("cannot set up the DNS resolver: ") + ares_strerror(st));
    }
    if (!server_csv.empty()) {
      st = ares_set_servers_ports_csv(ch, server_csv.c_str());
      if (st != ARES_SUCCESS) {
        ares_destroy(ch);
        return MakeError(ErrorCode::kUsage,
                         "DNS server '" + server_csv + "' was not accepted: " + ares_strerror(st));
      }
    }
    return ch;
  }

  Result<ares_channel> ChannelFor(const std::string& server) {
    std::string key = default_server_;
    if (!server.empty()) {
      MXIR_ASSIGN_OR_RETURN(key, ParseServerSpec(server));
    }
    if (auto it = channels_.find(key); it != channels_.end()) return it->second;
    MXIR_ASSIGN_OR_RETURN(ares_channel ch, MakeChannel(key));
    channels_[key] = ch;
    return ch;
  }

  ResolverOptions options_;
  std::string default_server_;
  std::map<std::string, ares_channel> channels_;
};

}  // namespace

Result<std::string> ParseServerSpec(const std::string& spec) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kUsage, "resolver '" + spec + "' " + why +
                                            ": give an address and optional port, like "
                                            "127.0.0.1:5354 or [::1]:5354");
  };
  std::string host = spec, port = "53";
  if (!spec.empty() && spec.front() == '[') {
    size_t close = spec.find(']');
    if (close == std::string::npos) return bad("has no closing ']'");
    host = spec.substr(1, close - 1);
    if (close + 1 < spec.size()) {
      if (spec[close + 1] != ':') return bad("has text after ']'");
      port = spec.substr(close + 2);
    }
  } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
    size_t colon = spec.find(':');
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  auto ip = IpAddress::Parse(host);
  if (!ip) return bad("is not an IP address (c-ares needs the address of the server)");
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
      std::stoi(port) > 65535) {
    return bad("has a bad port");
  }
  return ip->is_v4() ? ip->ToString() + ":" + port : "[" + ip->ToString() + "]:" + port;
}

Result<std::unique_ptr<Resolver>> MakeCaresResolver(const ResolverOptions& options) {
  if (options.timeout_ms < 10 || options.tries < 1 || options.tries > 10 ||
      options.max_in_flight < 1 || options.max_per_group < 1) {
    return MakeError(ErrorCode::kUsage, "resolver timeout, tries or concurrency out of range");
  }
  auto r = std::make_unique<CaresResolver>(options);
  MXIR_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<Resolver>(std::move(r));
}

}  // namespace mxir::dnsbl
