// Test helpers: feed a scripted SMTP conversation to an SmtpSession and record what comes out
// (events as JSON lines, Zeek rows as TSV, counters).
#pragma once

#include <string>
#include <vector>

#include "core/counters.h"
#include "core/event.h"
#include "core/event_json.h"
#include "core/secret_fingerprint.h"
#include "smtp/smtp_session.h"
#include "smtp/zeek_log_writer.h"

namespace mxir::smtp::testing {

struct Step {
  enum Kind { kClient, kServer, kGap } kind;
  std::string bytes;  // kGap: ignored
  uint64_t gap = 0;
};
inline Step C(std::string s) { return {Step::kClient, std::move(s)}; }
inline Step S(std::string s) { return {Step::kServer, std::move(s)}; }
inline Step Gap(stream::Direction dir, uint64_t n) {
  return {Step::kGap, dir == stream::Direction::kClientToServer ? "c" : "s", n};
}

class RecordingSink : public SmtpSink {
 public:
  void OnEvent(Event&& e) override { events.push_back(std::move(e)); }
  void OnZeekRecord(ZeekSmtpRecord&& r) override { rows.push_back(std::move(r)); }
  std::vector<Event> events;
  std::vector<ZeekSmtpRecord> rows;
};

struct Output {
  std::vector<Event> events;
  std::vector<ZeekSmtpRecord> rows;
  Counters counters;
  std::string events_jsonl;  // all events
  std::string rows_tsv;      // all rows
  const Event* First(EventKind kind) const {
    for (const Event& e : events) {
      if (e.kind == kind) return &e;
    }
    return nullptr;
  }
  std::vector<const Event*> All(EventKind kind) const {
    std::vector<const Event*> out;
    for (const Event& e : events) {
      if (e.kind == kind) out.push_back(&e);
    }
    return out;
  }
};

inline SessionInfo TestInfo(uint16_t server_port = 25) {
  SessionInfo info;
  info.flow.id = "Ctest";
  info.flow.client_ip = *IpAddress::Parse("192.0.2.10");
  info.flow.server_ip = *IpAddress::Parse("198.51.100.25");
  info.flow.client_port = 40000;
  info.flow.server_port = server_port;
  info.flow.first_seen = Timestamp::FromSeconds(1700000000);
  info.flow.first_packet = 1;
  info.origin.file = "test.pcap";
  info.implicit_tls = server_port == 465;
  return info;
}

inline const SecretFingerprinter& TestFingerprinter() {
  static const SecretFingerprinter fp([] {
    std::array<uint8_t, SecretFingerprinter::kKeyBytes> key{};
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
    return key;
  }());
  return fp;
}

// `chunks[i]` lists how step i's bytes are cut into OnData calls (empty: one call). Every step
// is one packet (packet = step index + 2), 1 ms apart.
inline Output RunSession(const std::vector<Step>& steps, const SmtpLimits& limits = {},
                         uint16_t server_port = 25,
                         const std::vector<std::vector<size_t>>* chunks = nullptr) {
  Output out;
  RecordingSink sink;
  {
    SmtpSession session(TestInfo(server_port), &sink, &TestFingerprinter(), &out.counters, limits);
    int64_t packet = 1;
    Timestamp ts = Timestamp::FromSeconds(1700000000);
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& st = steps[i];
      ++packet;
      ts = ts + 1000;
      if (st.kind == Step::kGap) {
        session.OnGap(st.bytes == "c" ? stream::Direction::kClientToServer
                                      : stream::Direction::kServerToClient,
                      st.gap, ts, packet);
        continue;
      }
      const auto dir = st.kind == Step::kClient ? stream::Direction::kClientToServer
                                                : stream::Direction::kServerToClient;
      const auto* p = reinterpret_cast<const uint8_t*>(st.bytes.data());
      if (chunks == nullptr || (*chunks)[i].empty()) {
        session.OnData(dir, p, st.bytes.size(), ts, packet);
      } else {
        size_t off = 0;
        for (size_t n : (*chunks)[i]) {
          session.OnData(dir, p + off, n, ts, packet);
          off += n;
        }
      }
    }
    session.OnEnd(stream::EndState::kClosed, ts + 1000, packet + 1);
  }
  out.events = std::move(sink.events);
  out.rows = std::move(sink.rows);
  for (const Event& e : out.events) {
    AppendEventJson(out.events_jsonl, e);
    out.events_jsonl += '\n';
  }
  for (const ZeekSmtpRecord& r : out.rows) ZeekLogWriter::AppendRow(out.rows_tsv, r);
  return out;
}

}  // namespace mxir::smtp::testing
