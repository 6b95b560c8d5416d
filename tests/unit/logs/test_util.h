// Runs log lines through an Ingester (UTC, now = 2026-11-23T12:00:00Z) and collects the events.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event_json.h"
#include "logs/ingester.h"

namespace mxir::logs::testing {

class VectorSink final : public EventSink {
 public:
  void Emit(Event&& e) override { events.push_back(std::move(e)); }
  std::vector<Event> events;
};

struct Ingested {
  std::vector<Event> events;
  Counters counters;
  // Events of one kind.
  std::vector<Event> Of(EventKind kind) const {
    std::vector<Event> out;
    for (const auto& e : events) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }
};

inline Ingested IngestLines(const std::vector<std::string>& lines,
                            const std::string& format = "auto",
                            const SecretFingerprinter* fp = nullptr) {
  static ManualClock clock(ParseTimestamp("2026-11-23T12:00:00Z").value());
  VectorSink sink;
  IngestOptions options;
  options.format = format;
  options.tz = "UTC";
  options.fingerprinter = fp;
  auto ingester = Ingester::Create(options, clock, &sink).value();
  {
    auto stream = ingester->OpenStream("test.log", "abc");
    int64_t n = 0;
    for (const auto& line : lines) stream->IngestLine(line, ++n);
  }
  return Ingested{std::move(sink.events), ingester->counters()};
}

inline std::string Ip(const Event& e) { return e.client_ip ? e.client_ip->ToString() : ""; }

}  // namespace mxir::logs::testing
