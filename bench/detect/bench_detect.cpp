// bench_detect: N synthetic events (default 10 M) through DetectEngine, printing the time and
// the peak memory. The mix: ordinary logins and mail from 2,000 hosts and 5,000 accounts,
// stale devices, brute force, spraying, a spam burst, inbound mail and encrypted sessions, in
// sessions of four events each from one source (pcap, postfix or dovecot in turn — every source
// has its own sessions, as real ones do). The events are generated in memory (the JSON Lines
// reading is measured separately by the casedb/core benchmarks), so this measures the detectors
// and their evidence structures; the generator's own time is measured in a first pass and
// printed apart. `bench_detect N gen` runs the generator alone.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <sys/resource.h>

#include "detect/detect_engine.h"

int main(int argc, char** argv) {
  using namespace mxir;
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 10000000;
  const bool gen_only = argc > 2 && std::string(argv[2]) == "gen";
  detect::Locality loc;
  for (const auto& net : detect::Locality::DefaultInternal()) (void)loc.AddInternal(net);
  (void)loc.AddLocalDomain("acme.example");
  detect::DetectEngine engine({}, loc);
  const int64_t t0 = Timestamp::FromSeconds(1795395600).micros();
  // The generator's own cost is kept small (addresses parsed once), so the time measured is
  // mostly the engine's.
  std::vector<std::string> users;
  std::vector<IpAddress> hosts, attackers;
  for (int i = 0; i < 5000; ++i) users.push_back("user" + std::to_string(i) + "@acme.example");
  for (int i = 0; i < 2000; ++i) {
    hosts.push_back(
        *IpAddress::Parse("198.51." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)));
  }
  for (int i = 0; i < 20; ++i)
    attackers.push_back(*IpAddress::Parse("203.0.113." + std::to_string(i + 1)));
  const IpAddress server = *IpAddress::Parse("10.0.0.1");
  const char* sources[] = {"pcap", "postfix", "dovecot"};
  Event e;
  // Clears what the previous event set, keeping the strings' capacity (no allocation per event).
  auto reset = [](Event& ev) {
    ev.user.clear();
    ev.outcome.clear();
    ev.secret_fp.clear();
    ev.mail_from.clear();
    ev.header_from.clear();
    ev.subject.clear();
    ev.recipients.clear();
    ev.accepted.reset();
    ev.how.clear();
    ev.helo.clear();
    ev.duration_s.reset();
    ev.bytes_c2s.reset();
  };
  // Calls sink(event) for each of the n events; the same events every time.
  auto generate = [&](auto&& sink) {
    std::mt19937_64 rng(7);
    char num[24];
    std::string session_id;
    SharedString shared_session;
    for (int64_t i = 0; i < n; ++i) {
      reset(e);
      e.ts = Timestamp::FromMicros(t0 + i * 20000);  // 50 events/s: 10 M is ~2.3 days
      const int64_t session = i / 4;
      e.source = sources[session % 3];
      // One shared id per session, as capture and ingest give their events.
      if (i % 4 == 0) {
        session_id.assign("s");
        session_id.append(num, std::to_chars(num, num + sizeof num, session).ptr);
        shared_session = SharedString(session_id);
      }
      e.session = shared_session;
      uint64_t r = rng();
      e.client_ip = hosts[r % hosts.size()];
      e.server_ip = server;
      e.server_port = 587;
      switch (r % 10) {
        case 0:
        case 1:
        case 2:
          e.kind = EventKind::kAuth;
          e.user = users[(r >> 16) % users.size()];
          e.outcome = (r >> 40) % 50 == 0 ? "failure" : "success";
          break;
        case 3:
          e.kind = EventKind::kAuth;  // attackers and stale devices
          e.client_ip = attackers[(r >> 8) % attackers.size()];
          e.user = users[(r >> 16) % 50];
          e.outcome = "failure";
          e.secret_fp.assign(num, std::to_chars(num, num + sizeof num, (r >> 24) % 1000).ptr);
          break;
        case 4:
        case 5:
          e.kind = EventKind::kMessage;
          e.user = users[(r >> 16) % users.size()];
          e.mail_from = e.user;
          e.header_from = e.user;
          e.subject = "Subject ";
          e.subject.append(num, std::to_chars(num, num + sizeof num, (r >> 20) % 100000).ptr);
          e.recipients.emplace_back("p");
          e.recipients.back().append(num,
                                     std::to_chars(num, num + sizeof num, (r >> 30) % 10000).ptr);
          e.recipients.back() += "@partner";
          e.recipients.back().append(num,
                                     std::to_chars(num, num + sizeof num, (r >> 44) % 300).ptr);
          e.recipients.back() += ".example";
          e.accepted = true;
          break;
        case 6:
          e.kind = EventKind::kTls;
          e.how = "starttls";
          break;
        case 7:
          e.kind = EventKind::kSessionEnd;
          e.duration_s = 1.5;
          e.bytes_c2s = 2000;
          break;
        default:
          e.kind = EventKind::kHelo;
          e.helo = "client";
          break;
      }
      sink(e);
    }
  };
  auto gen_start = std::chrono::steady_clock::now();
  int64_t kinds = 0;
  generate([&](const Event& ev) { kinds += static_cast<int>(ev.kind); });
  const double gen_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count();
  if (gen_only) {
    std::printf("generator alone: %lld events in %.2f s (%lld)\n", static_cast<long long>(n), gen_s,
                static_cast<long long>(kinds));
    return 0;
  }
  auto start = std::chrono::steady_clock::now();
  generate([&](const Event& ev) { engine.Add(ev); });
  auto mid = std::chrono::steady_clock::now();
  detect::DetectResult result = engine.Finish();
  auto end = std::chrono::steady_clock::now();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double add_s = std::chrono::duration<double>(mid - start).count() - gen_s;
  double finish_s = std::chrono::duration<double>(end - mid).count();
  std::printf("detect bench: %lld events, %zu findings\n", static_cast<long long>(n),
              result.findings.size());
  std::printf("  collect %.2f s (%.2f M events/s), detect %.2f s, total %.2f s, peak RSS %.0f MB\n",
              add_s, n / add_s / 1e6, finish_s, add_s + finish_s, ru.ru_maxrss / 1024.0);
  std::printf("  (the generator's own %.2f s, measured in a pass of its own, is not counted)\n",
              gen_s);
  return 0;
}
