// Event insertion into a case: how many events per second EventWriter stores (batched,
// de-duplicated, WAL). Prints one line of figures; run by bench/casedb/run.sh.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "casedb/case_db.h"
#include "casedb/event_reader.h"
#include "casedb/event_store.h"

int main(int argc, char** argv) {
  using namespace mxir;
  int64_t n = argc > 1 ? std::atoll(argv[1]) : 1000000;
  char dir[] = "/tmp/mxir-bench-case-XXXXXX";
  std::string path = std::string(mkdtemp(dir)) + "/bench.case";
  casedb::NewCase info;
  info.title = "benchmark";
  auto c = casedb::CaseDb::Create(path, info);
  if (!c.ok()) {
    std::fprintf(stderr, "bench: %s\n", c.error().message.c_str());
    return 3;
  }
  // Realistic events: AUTH attempts and messages from a few hundred hosts and users.
  std::vector<Event> templates;
  for (int i = 0; i < 64; ++i) {
    Event e;
    e.source = "postfix";
    e.origin.file = "/var/log/mail.log";
    e.origin.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    e.protocol = "submission";
    e.server_ip = IpAddress::Parse("203.0.113.25");
    e.server_port = 587;
    if (i % 4 == 0) {
      e.kind = EventKind::kMessage;
      e.mail_from = "user" + std::to_string(i) + "@acme.example";
      e.recipients = {"a@example.org", "b@example.net"};
      e.subject = "Quarterly report " + std::to_string(i);
      e.size = 4096 + i;
      e.accepted = true;
      e.code = 250;
    } else {
      e.kind = EventKind::kAuth;
      e.mechanism = "LOGIN";
      e.outcome = i % 3 ? "failure" : "success";
      e.code = i % 3 ? 535 : 235;
      e.secret_fp = "0123456789abcdef";
    }
    templates.push_back(e);
  }
  auto start = std::chrono::steady_clock::now();
  {
    casedb::EventWriter writer(*c);
    for (int64_t i = 0; i < n; ++i) {
      Event& e = templates[static_cast<size_t>(i) % templates.size()];
      e.ts = Timestamp::FromSeconds(1763856000 + i / 100);
      e.origin.line = i + 1;
      e.client_ip = IpAddress::V4(0x0A000000 + static_cast<uint32_t>(i % 500));
      e.client_port = 40000 + static_cast<int>(i % 20000);
      e.session = "s" + std::to_string(i / 8);
      e.user = "user" + std::to_string(i % 300) + "@acme.example";
      if (Status s = writer.Add(e); !s.ok()) {
        std::fprintf(stderr, "bench: %s\n", s.error().message.c_str());
        return 3;
      }
    }
    if (Status s = writer.Finish(); !s.ok()) {
      std::fprintf(stderr, "bench: %s\n", s.error().message.c_str());
      return 3;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto stored = casedb::CountEvents(*c);
  std::printf(
      "case insert: %lld events in %.2f s = %.0f events/s (target >= 300000/s); stored %lld\n",
      static_cast<long long>(n), secs, static_cast<double>(n) / secs,
      static_cast<long long>(stored.ok() ? *stored : -1));
  unlink(path.c_str());
  unlink((path + ".key").c_str());
  unlink((path + "-wal").c_str());
  unlink((path + "-shm").c_str());
  rmdir(dir);
  return 0;
}
