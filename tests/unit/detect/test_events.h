// Synthetic events and small helpers for the detector tests.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/finding.h"
#include "detect/detect_engine.h"

namespace mxir::detect::test {

inline constexpr int64_t kT0 = 1795395600;  // 2026-11-23T01:00:00Z

inline Event Base(double t, const std::string& source, const std::string& session,
                  const std::string& client, EventKind kind) {
  Event e;
  e.ts = Timestamp::FromMicros(static_cast<int64_t>((kT0 + t) * 1e6));
  e.source = source;
  e.session = session;
  if (!client.empty()) e.client_ip = IpAddress::Parse(client);
  e.server_ip = IpAddress::Parse("10.0.0.1");
  e.server_port = 25;
  e.kind = kind;
  return e;
}

inline Event Auth(double t, const std::string& source, const std::string& session,
                  const std::string& client, const std::string& user, const std::string& outcome,
                  const std::string& fp = "") {
  Event e = Base(t, source, session, client, EventKind::kAuth);
  e.user = user;
  e.outcome = outcome;
  e.secret_fp = fp;
  e.code = outcome == "success" ? 235 : 535;
  return e;
}

inline Event Message(double t, const std::string& session, const std::string& client,
                     const std::string& user, const std::string& from,
                     const std::vector<std::string>& rcpts, const std::string& subject) {
  Event e = Base(t, "postfix", session, client, EventKind::kMessage);
  e.user = user;
  e.mail_from = from;
  e.header_from = from;
  e.recipients = rcpts;
  e.subject = subject;
  e.accepted = true;
  e.code = 250;
  return e;
}

inline Locality DefaultLocality(std::vector<std::string> domains = {}) {
  Locality loc;
  for (const auto& n : Locality::DefaultInternal()) (void)loc.AddInternal(n);
  for (const auto& d : domains) (void)loc.AddLocalDomain(d);
  return loc;
}

inline DetectResult Detect(const std::vector<Event>& events, Locality loc = DefaultLocality(),
                           DetectConfig cfg = {}) {
  DetectEngine engine(cfg, std::move(loc));
  for (const auto& e : events) engine.Add(e);
  return engine.Finish();
}

inline std::vector<const Finding*> OfKind(const DetectResult& r, const std::string& kind) {
  std::vector<const Finding*> out;
  for (const auto& f : r.findings) {
    if (f.kind == kind) out.push_back(&f);
  }
  return out;
}

// Kinds at or above a severity, sorted (for "nothing else" assertions).
inline std::vector<std::string> KindsAtLeast(const DetectResult& r, Severity s) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) {
    if (f.severity >= s) out.push_back(f.kind);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A stale device: `n` failures, one per session, every `every` seconds, optionally with a
// fingerprint.
inline void AddStale(std::vector<Event>* v, const std::string& source, const std::string& client,
                     const std::string& user, int n, double every, const std::string& fp,
                     double start = 0) {
  for (int i = 0; i < n; ++i) {
    std::string s = source + "-stale-" + client + "-" + std::to_string(i);
    v->push_back(Auth(start + i * every, source, s, client, user, "failure", fp));
  }
}

// Ordinary traffic: successful logins and a few messages to few recipients.
inline void AddNormal(std::vector<Event>* v, double start = 0) {
  const char* users[] = {"carol@acme.example", "dave@acme.example", "erin@acme.example"};
  for (int i = 0; i < 30; ++i) {
    std::string s = "normal-" + std::to_string(i);
    std::string client = "192.168.1." + std::to_string(10 + i % 3);
    v->push_back(Auth(start + i * 97, "dovecot", s, client, users[i % 3], "success"));
    v->push_back(Message(start + i * 97 + 5, s, client, users[i % 3], users[i % 3],
                         {"friend" + std::to_string(i) + "@partner.example"},
                         "Re: meeting " + std::to_string(i)));
  }
  // One mistyped password, then success.
  v->push_back(Auth(start + 50, "dovecot", "typo", "192.168.1.10", "carol@acme.example", "failure",
                    "1111111111111111"));
}

}  // namespace mxir::detect::test
