// bench_detect: N synthetic events (default 10 M) through DetectEngine, printing the time and
// the peak memory. The mix: ordinary logins and mail from 2,000 hosts and 5,000 accounts,
// stale devices, brute force, spraying, a spam burst, inbound mail and encrypted sessions,
// generated in memory (the JSON Lines reading is measured separately by the casedb/core
// benchmarks), so this measures the detectors and their evidence structures.
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
  detect::Locality loc;
  for (const auto& net : detect::Locality::DefaultInternal()) (void)loc.AddInternal(net);
  (void)loc.AddLocalDomain("acme.example");
  detect::DetectEngine engine({}, loc);
  std::mt19937_64 rng(7);
  const int64_t t0 = Timestamp::FromSeconds(1795395600).micros();
  std::vector<std::string> users, hosts;
  for (int i = 0; i < 5000; ++i) users.push_back("user" + std::to_string(i) + "@acme.example");
  for (int i = 0; i < 2000; ++i) {
    hosts.push_back("198.51." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
  }
  Event e;
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    e = Event();
    e.ts = Timestamp::FromMicros(t0 + i * 20000);  // 50 events/s: 10 M is ~2.3 days
    e.source = (i % 3 == 0) ? "pcap" : (i % 3 == 1 ? "postfix" : "dovecot");
    e.session = "s" + std::to_string(i / 4);
    uint64_t r = rng();
    const std::string& host = hosts[r % hosts.size()];
    e.client_ip = IpAddress::Parse(host);
    e.server_ip = IpAddress::Parse("10.0.0.1");
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
        e.client_ip = IpAddress::Parse("203.0.113." + std::to_string((r >> 8) % 20 + 1));
        e.user = users[(r >> 16) % 50];
        e.outcome = "failure";
        e.secret_fp = std::to_string((r >> 24) % 1000);
        break;
      case 4:
      case 5:
        e.kind = EventKind::kMessage;
        e.user = users[(r >> 16) % users.size()];
        e.mail_from = e.user;
        e.header_from = e.user;
        e.subject = "Subject " + std::to_string((r >> 20) % 100000);
        e.recipients = {"p" + std::to_string((r >> 30) % 10000) + "@partner" +
                        std::to_string((r >> 44) % 300) + ".example"};
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
    engine.Add(e);
  }
  auto mid = std::chrono::steady_clock::now();
  detect::DetectResult result = engine.Finish();
  auto end = std::chrono::steady_clock::now();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double add_s = std::chrono::duration<double>(mid - start).count();
  double finish_s = std::chrono::duration<double>(end - mid).count();
  std::printf("detect bench: %lld events, %zu findings\n", static_cast<long long>(n),
              result.findings.size());
  std::printf("  collect %.2f s (%.2f M events/s), detect %.2f s, total %.2f s, peak RSS %.0f MB\n",
              add_s, n / add_s / 1e6, finish_s, add_s + finish_s, ru.ru_maxrss / 1024.0);
  return 0;
}
