// session_burst: one host opening many encrypted SMTP sessions (STARTTLS or implicit TLS, on any
// port, 25 included: the port list is only a hint for the wording) in which no AUTH is visible:
// at least --burst-min-sessions within --burst-window, and far more than the server's normal —
// at least kNormalFactor x the median busiest-window count of the other hosts with encrypted
// sessions (so ten people sending their mail are each "normal" and a host with sixty connections
// in ten minutes is not). Rate and concurrency decide the wording (one at a time at a steady pace
// is device-like; several at once is attack-like); bytes and session length are only hints (a
// session with several AUTH attempts and error delays is long and carries about as many bytes as
// a small message). When another source (server logs) shows the host's logins in that window,
// the login detectors give the full verdict and no burst is reported. Severity: medium.
#include <algorithm>
#include <map>
#include <set>

#include "detect/detect_context.h"

namespace mxir::detect {

namespace {
// "Far more than normal": this many times the other hosts' median busiest-window count.
constexpr int64_t kNormalFactor = 3;
}  // namespace

void DetectSessionBurst(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  std::map<uint32_t, std::vector<uint32_t>> by_client;
  for (uint32_t i = 0; i < ev.session_recs.size(); ++i) {
    const SessionRec& s = ev.session_recs[i];
    if (s.client == kNone || !s.tls || s.auth_seen || s.start > s.end) continue;
    by_client[s.client].push_back(i);
  }
  const int64_t w = static_cast<int64_t>(ctx.cfg.burst_window_s * 1e6);
  // Each host's busiest window, and the server's normal: the median of those counts.
  struct Busiest {
    size_t b = 0, e = 0;
  };
  std::map<uint32_t, Busiest> busiest;
  std::vector<int64_t> counts;
  for (auto& [client, idx] : by_client) {
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) {
      return ev.session_recs[a].start < ev.session_recs[b].start;
    });
    size_t b = 0;
    Busiest best;
    for (size_t e = 0; e < idx.size(); ++e) {
      while (ev.session_recs[idx[e]].start - ev.session_recs[idx[b]].start > w) ++b;
      if (e - b > best.e - best.b) best = {b, e};
    }
    busiest[client] = best;
    counts.push_back(static_cast<int64_t>(best.e - best.b + 1));
  }
  std::sort(counts.begin(), counts.end());
  auto server_normal_without = [&](int64_t own) {
    // The median of the other hosts' counts (the host itself left out); 1 when it is alone.
    std::vector<int64_t> others = counts;
    auto it = std::find(others.begin(), others.end(), own);
    if (it != others.end()) others.erase(it);
    return others.empty() ? int64_t{1} : others[others.size() / 2];
  };
  // Login times per client with a candidate burst (from any source), for the "explained" test.
  std::map<uint32_t, std::vector<int64_t>> logins;
  for (const auto& [client, idx] : by_client) {
    if (static_cast<int64_t>(idx.size()) >= ctx.cfg.burst_min_sessions) logins[client];
  }
  for (const AuthAttempt& a : ev.attempts) {
    auto it = logins.find(a.client);
    if (it != logins.end()) it->second.push_back(a.ts);  // attempts are in time order
  }
  for (auto& [client, idx] : by_client) {
    if (static_cast<int64_t>(idx.size()) < ctx.cfg.burst_min_sessions) continue;
    const size_t best_b = busiest[client].b, best_e = busiest[client].e;
    const int64_t n = static_cast<int64_t>(best_e - best_b + 1);
    if (n < ctx.cfg.burst_min_sessions) continue;
    const int64_t normal = server_normal_without(n);
    if (n < kNormalFactor * normal) continue;  // as busy as the server's other hosts
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
    int64_t median_bytes = -1;
    if (bytes.size() * 2 >= durations.size()) {
      std::nth_element(bytes.begin(), bytes.begin() + bytes.size() / 2, bytes.end());
      median_bytes = bytes[bytes.size() / 2];
    }
    // Hints only: short login-sized sessions read as logins; long or large ones may carry mail.
    const bool login_sized = median_duration <= ctx.cfg.burst_max_median_duration_s &&
                             (median_bytes < 0 || median_bytes <= ctx.cfg.burst_max_median_bytes);
    // Logins for this host seen by another source in the window: the login detectors decide.
    bool explained = ctx.auth.IsAttacker(client) || ctx.auth.stale_clients.count(client);
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
    f.counts["server_normal_sessions"] = normal;
    if (median_bytes >= 0) f.counts["median_bytes_c2s"] = median_bytes;
    std::set<int> ports;
    for (size_t i = best_b; i <= best_e; ++i) ports.insert(ev.session_recs[idx[i]].server_port);
    f.counts["ports"] = ports;
    AddOrigins(f, origins);
    const bool device_like = parallel <= 1;
    std::string port_text;
    for (int p : ports) port_text += (port_text.empty() ? "" : ", ") + std::to_string(p);
    f.explanation =
        host + " opened " + Count(n, "encrypted SMTP session") + " (port " + port_text +
        ") between " + f.first_seen.ToString() + " and " + f.last_seen.ToString() +
        ", about every " + Seconds(median_gap) + ", up to " + std::to_string(parallel) +
        " at once — the server's other hosts opened at most about " + std::to_string(normal) +
        " in their busiest " + Seconds(ctx.cfg.burst_window_s) +
        ". The sessions are encrypted, so the capture cannot see whether they logged in or "
        "failed. " +
        (device_like ? "One session at a time at a steady pace looks like a device retrying a "
                       "saved password"
                     : "Several sessions at once looks like password guessing") +
        ", but only the server's logs can say which." +
        (login_sized
             ? " Their size (median " + Seconds(median_duration) +
                   (median_bytes >= 0
                        ? ", " + std::to_string(median_bytes) + " bytes from the client"
                        : std::string()) +
                   ") is what a login costs, with or without error delays."
             : " They are larger or longer than a bare login (median " + Seconds(median_duration) +
                   (median_bytes >= 0 ? ", " + std::to_string(median_bytes) + " bytes"
                                      : std::string()) +
                   "): several AUTH attempts with error delays cost as much as a small "
                   "message, so this may be guessing or a run of mail.");
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
