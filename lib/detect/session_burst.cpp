// session_burst: one host opening many short sessions to a submission port (protocol
// submission/smtps, or a port in --submission-port: 587 and 465 by default) where the content is
// encrypted, so no AUTH is visible: at least
// --burst-min-sessions within --burst-window, median length at most
// --burst-max-median-duration, median client bytes at most --burst-max-median-bytes (sessions
// that only log in; a session that sends a message is larger). It is the metadata-only form of an
// AUTH storm: a stale device and a password guesser look alike here. When another source (server
// logs) shows the host's logins in that window, the login detectors give the full verdict and no
// burst is reported. Severity: medium.
#include <algorithm>
#include <map>

#include "detect/detect_context.h"

namespace mxir::detect {

void DetectSessionBurst(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  std::map<uint32_t, std::vector<uint32_t>> by_client;
  for (uint32_t i = 0; i < ev.session_recs.size(); ++i) {
    const SessionRec& s = ev.session_recs[i];
    const auto& ports = ctx.cfg.submission_ports;
    bool submission =
        s.submission || std::find(ports.begin(), ports.end(), s.server_port) != ports.end();
    if (s.client == kNone || !s.tls || !submission || s.auth_seen || s.start > s.end) continue;
    by_client[s.client].push_back(i);
  }
  // Login times per client with a candidate burst (from any source), for the "explained" test.
  std::map<uint32_t, std::vector<int64_t>> logins;
  for (const auto& [client, idx] : by_client) {
    if (static_cast<int64_t>(idx.size()) >= ctx.cfg.burst_min_sessions) logins[client];
  }
  for (const AuthAttempt& a : ev.attempts) {
    auto it = logins.find(a.client);
    if (it != logins.end()) it->second.push_back(a.ts);  // attempts are in time order
  }
  const int64_t w = static_cast<int64_t>(ctx.cfg.burst_window_s * 1e6);
  for (auto& [client, idx] : by_client) {
    if (static_cast<int64_t>(idx.size()) < ctx.cfg.burst_min_sessions) continue;
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) {
      return ev.session_recs[a].start < ev.session_recs[b].start;
    });
    size_t b = 0, best_b = 0, best_e = 0;
    for (size_t e = 0; e < idx.size(); ++e) {
      while (ev.session_recs[idx[e]].start - ev.session_recs[idx[b]].start > w) ++b;
      if (e - b > best_e - best_b) {
        best_b = b;
        best_e = e;
      }
    }
    const int64_t n = static_cast<int64_t>(best_e - best_b + 1);
    if (n < ctx.cfg.burst_min_sessions) continue;
    const int64_t first = ev.session_recs[idx[best_b]].start;
    int64_t last = first;
    std::vector<double> durations, gaps;
    std::vector<int64_t> bytes;
    std::vector<std::pair<int64_t, int>> edges;
    std::vector<std::string> origins;
    for (size_t i = best_b; i <= best_e; ++i) {
      const SessionRec& s = ev.session_recs[idx[i]];
      double d = s.duration_s >= 0 ? s.duration_s : static_cast<double>(s.end - s.start) / 1e6;
      durations.push_back(d);
      if (s.bytes_c2s >= 0) bytes.push_back(s.bytes_c2s);
      last = std::max(last, s.end);
      if (i > best_b) gaps.push_back((s.start - ev.session_recs[idx[i - 1]].start) / 1e6);
      edges.emplace_back(s.start, 1);
      edges.emplace_back(s.start + static_cast<int64_t>(d * 1e6), -1);
      if (origins.size() < 5) origins.push_back(ev.OriginText(s.origin));
    }
    std::nth_element(durations.begin(), durations.begin() + durations.size() / 2, durations.end());
    const double median_duration = durations[durations.size() / 2];
    if (median_duration > ctx.cfg.burst_max_median_duration_s) continue;
    int64_t median_bytes = -1;
    if (bytes.size() * 2 >= durations.size()) {
      std::nth_element(bytes.begin(), bytes.begin() + bytes.size() / 2, bytes.end());
      median_bytes = bytes[bytes.size() / 2];
      if (median_bytes > ctx.cfg.burst_max_median_bytes) continue;  // they carried mail
    }
    // Logins for this host seen by another source in the window: the login detectors decide.
    bool explained = ctx.auth.attackers.count(client) || ctx.auth.stale_clients.count(client);
    if (!explained) {
      const auto& ts = logins[client];
      auto it = std::lower_bound(ts.begin(), ts.end(), first);
      explained = it != ts.end() && *it <= last;
    }
    if (explained) continue;
    std::sort(edges.begin(), edges.end());
    int64_t cur = 0, parallel = 0;
    for (const auto& [t, d] : edges) parallel = std::max(parallel, cur += d);
    double median_gap = 0;
    if (!gaps.empty()) {
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
      median_gap = gaps[gaps.size() / 2];
    }
    const std::string host = ev.ClientText(client);
    const bool inside = ctx.Inside(client);
    Finding f = NewFinding("session_burst", Severity::kMedium, "triage", {host}, first, last);
    f.client_ip = host;
    f.counts["sessions"] = n;
    f.counts["median_duration_s"] = median_duration;
    f.counts["median_interval_s"] = median_gap;
    f.counts["max_parallel_sessions"] = parallel;
    if (median_bytes >= 0) f.counts["median_bytes_c2s"] = median_bytes;
    AddOrigins(f, origins);
    const bool device_like = parallel <= 1;
    f.explanation = host + " opened " + Count(n, "encrypted session") +
                    " to the submission port between " + f.first_seen.ToString() + " and " +
                    f.last_seen.ToString() + ", each short (median " + Seconds(median_duration) +
                    "), about every " + Seconds(median_gap) +
                    ". The logins themselves are encrypted, so the capture cannot tell whether "
                    "they failed. " +
                    (device_like ? "One session at a time at a steady pace looks like a device "
                                   "retrying a saved password"
                                 : "Several sessions at once looks like password guessing") +
                    ", but only the server's logs can say which.";
    f.next_steps = {
        "Add the mail server's logs for this time (mxir ingest) and run mxir detect "
        "again: it then names the account and gives the verdict.",
        std::string(inside ? "Find the device at " : "Watch ") + host +
            (inside ? " (DHCP lease, NAT table)."
                    : "; block it if the logs show "
                      "password guessing.")};
    SetVerdict(f, device_like ? "many short encrypted logins (device-like; add server logs)"
                              : "many parallel encrypted logins (attack-like; add server logs)");
    ctx.findings.push_back(std::move(f));
  }
}

}  // namespace mxir::detect
