#include "detect/detect_config.h"

#include <charconv>
#include <cmath>

#include "core/timestamp.h"

namespace mxir::detect {

namespace {

using C = DetectConfig;
using T = ThresholdType;

std::vector<ThresholdSpec> MakeTable() {
  auto count = [](const char* n, int64_t C::*m, const char* h) {
    return ThresholdSpec{n, T::kCount, m, nullptr, h};
  };
  auto ratio = [](const char* n, double C::*m, const char* h) {
    return ThresholdSpec{n, T::kRatio, nullptr, m, h};
  };
  auto secs = [](const char* n, double C::*m, const char* h) {
    return ThresholdSpec{n, T::kSeconds, nullptr, m, h};
  };
  return {
      secs("merge-window", &C::merge_window_s,
           "one AUTH attempt seen by several sources (capture, Postfix, Dovecot) within this "
           "many seconds is counted once"),
      count("stale-min-failures", &C::stale_min_failures,
            "stale device: at least this many failures for one account from one host"),
      count("stale-max-secrets", &C::stale_max_secrets,
            "stale device: at most this many distinct wrong passwords (when fingerprints exist)"),
      ratio("stale-max-cadence-cv", &C::stale_max_cadence_cv,
            "stale device without fingerprints: intervals this regular or more "
            "(standard deviation / mean)"),
      ratio("stale-max-attempts-per-session", &C::stale_max_attempts_per_session,
            "stale device without fingerprints: at most this many attempts per session on average"),
      count("stale-max-parallel-sessions", &C::stale_max_parallel_sessions,
            "stale device without fingerprints: at most this many sessions at once"),
      count("brute-min-failures", &C::brute_min_failures,
            "brute force: at least this many failures for one account within --brute-window"),
      secs("brute-window", &C::brute_window_s, "brute force: the window, seconds"),
      count("brute-min-secrets", &C::brute_min_secrets,
            "brute force: at least this many distinct passwords (when fingerprints exist)"),
      ratio(
          "brute-min-attempts-per-session", &C::brute_min_attempts_per_session,
          "brute force without fingerprints: this many attempts in one session is an attack sign"),
      count("brute-min-parallel-sessions", &C::brute_min_parallel_sessions,
            "brute force without fingerprints: this many sessions at once is an attack sign"),
      count("brute-slow-min-failures", &C::brute_slow_min_failures,
            "slow brute force: at least this many failures for one account from one host over "
            "the whole input (any rate), with many passwords or the attack signs above"),
      count("brute-distributed-min-clients", &C::brute_distributed_min_clients,
            "distributed brute force: at least this many hosts that never logged in as the "
            "account failing for it (any time span)"),
      count("spray-min-users", &C::spray_min_users,
            "spraying: at least this many accounts failing from one host within --spray-window"),
      secs("spray-window", &C::spray_window_s, "spraying and stuffing: the window, seconds"),
      ratio("spray-max-attempts-per-user", &C::spray_max_attempts_per_user,
            "spraying: at most this many attempts per account on average"),
      count("spray-min-users-per-secret", &C::spray_min_users_per_secret,
            "spraying: one password tried against this many accounts (any hosts)"),
      count("distributed-min-users", &C::distributed_min_users,
            "distributed attack: at least this many accounts failing ..."),
      count("distributed-min-clients", &C::distributed_min_clients,
            "... from at least this many hosts within --spray-window"),
      ratio("stuffing-min-secret-ratio", &C::stuffing_min_secret_ratio,
            "credential stuffing: distinct passwords / distinct accounts at least this"),
      count("compromise-min-failures", &C::compromise_min_failures,
            "compromise: an account counts as attacked once this many failures from attacking "
            "hosts hit it"),
      secs("compromise-lookback", &C::compromise_lookback_s,
           "compromise: a login this long after the last attack failure is no longer judged, "
           "and raising signs are looked for this long after a login, seconds"),
      count("compromise-many-clients", &C::compromise_many_clients,
            "compromise: this many hosts new to an attacked account logging in within "
            "--compromise-lookback raise login_after_attack to account_compromise"),
      count("compromise-new-clients-in-row", &C::compromise_new_clients_in_row,
            "compromise: ... or this many new hosts in a row with no own device in between"),
      secs("bulk-window", &C::bulk_window_s, "bulk outbound: the window, seconds"),
      count("bulk-min-recipients", &C::bulk_min_recipients,
            "bulk outbound: outside recipients per window for one account or host"),
      count("bulk-min-messages", &C::bulk_min_messages, "bulk outbound: messages per window"),
      count("bulk-min-domains", &C::bulk_min_domains,
            "bulk outbound: distinct recipient domains per window (a spam sign)"),
      ratio("bulk-rejected-ratio", &C::bulk_rejected_ratio,
            "bulk outbound: rejected recipients share (a spam sign)"),
      ratio("bulk-from-mismatch-ratio", &C::bulk_from_mismatch_ratio,
            "bulk outbound: share of messages whose From is not the account (a spam sign)"),
      count("bulk-same-subject-recipients", &C::bulk_same_subject_recipients,
            "bulk outbound: one subject to this many recipients (a spam sign)"),
      ratio("bulk-history-factor", &C::bulk_history_factor,
            "bulk outbound: this many times the account's own busiest earlier hour"),
      count("bulk-history-min-recipients", &C::bulk_history_min_recipients,
            "bulk outbound: ... and at least this many recipients in the window"),
      count("open-relay-min-messages", &C::open_relay_min_messages,
            "open relay: relayed messages or recipients before it is reported"),
      count("flood-min-messages", &C::flood_min_messages,
            "inbound flood: messages from one sender domain to local users per --flood-window"),
      secs("flood-window", &C::flood_window_s, "inbound flood: the window, seconds"),
      count("blocklist-min-replies", &C::blocklist_min_replies,
            "remote blocklisting: rejections citing a list before it is reported"),
      count("throttle-min-replies", &C::throttle_min_replies,
            "remote throttling: rate or reputation deferrals before it is reported"),
      count("burst-min-sessions", &C::burst_min_sessions,
            "session burst: encrypted submission sessions from one host per --burst-window"),
      secs("burst-window", &C::burst_window_s, "session burst: the window, seconds"),
      secs("burst-max-median-duration", &C::burst_max_median_duration_s,
           "session burst: the sessions' median length at most this, seconds"),
      count("burst-max-median-bytes", &C::burst_max_median_bytes,
            "session burst: the sessions' median client bytes at most this (login-only "
            "sessions; sending mail makes them larger)"),
  };
}

std::string Normalise(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  return s;
}

}  // namespace

const std::vector<ThresholdSpec>& Thresholds() {
  static const std::vector<ThresholdSpec> table = MakeTable();
  return table;
}

std::string ThresholdValueText(const DetectConfig& c, const ThresholdSpec& spec) {
  if (spec.count) return std::to_string(c.*spec.count);
  double v = c.*spec.number;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

Status DetectConfig::SetThreshold(std::string_view name, std::string_view value) {
  std::string key = Normalise(name);
  for (const auto& spec : Thresholds()) {
    if (key != spec.name) continue;
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorCode::kUsage,
                       "threshold '" + key + "' = '" + std::string(value) + "': " + why);
    };
    if (spec.count) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size() || v < 0) {
        return bad("expected a whole number of 0 or more");
      }
      this->*spec.count = v;
      return Status::Ok();
    }
    if (spec.type == ThresholdType::kSeconds) {
      auto us = ParseDuration(value);
      if (!us.ok() || *us < 0) return bad("expected a duration such as 90s, 10m, 6h or 1d");
      this->*spec.number = static_cast<double>(*us) / 1e6;
      return Status::Ok();
    }
    double v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || !std::isfinite(v) || v < 0) {
      return bad("expected a number of 0 or more");
    }
    this->*spec.number = v;
    return Validate();
  }
  return MakeError(ErrorCode::kUsage,
                   "unknown threshold '" + key + "' (mxir detect --help lists them all)");
}

Status DetectConfig::Validate() const {
  for (const auto& spec : Thresholds()) {
    if (spec.type != ThresholdType::kRatio || spec.count) continue;
    double v = this->*spec.number;
    bool is_share = std::string_view(spec.name).find("ratio") != std::string_view::npos &&
                    std::string_view(spec.name) != "stuffing-min-secret-ratio";
    if (is_share && v > 1) {
      return MakeError(ErrorCode::kUsage,
                       std::string("threshold '") + spec.name + "' is a share: give 0 to 1");
    }
  }
  if (brute_window_s <= 0 || spray_window_s <= 0 || bulk_window_s <= 0 || flood_window_s <= 0 ||
      burst_window_s <= 0) {
    return MakeError(ErrorCode::kUsage, "detection windows must be longer than 0 seconds");
  }
  return Status::Ok();
}

Status DetectConfig::SetSubmissionPorts(const std::vector<std::string>& ports) {
  std::vector<int> out;
  for (const auto& p : ports) {
    int v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v < 1 || v > 65535) {
      return MakeError(ErrorCode::kUsage,
                       "submission port '" + p + "': expected a TCP port number (1-65535)");
    }
    out.push_back(v);
  }
  submission_ports = std::move(out);
  return Status::Ok();
}

Status DetectConfig::ApplyIni(const IniFile& ini, std::vector<std::string>* internal,
                              std::vector<std::string>* local_domains) {
  for (const auto& name : ini.SectionNames()) {
    if (name != "detect") {
      return MakeError(ErrorCode::kUsage, "config file: unknown section [" + name +
                                              "] (mxir detect reads only [detect])");
    }
  }
  const IniFile::Section* s = ini.Find("detect");
  if (!s) return Status::Ok();
  auto split = [](const std::string& v) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      std::string item = v.substr(start, comma - start);
      size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      start = comma + 1;
    }
    return out;
  };
  for (const auto& [key, value] : *s) {
    if (key == "internal") {
      if (internal) *internal = split(value);
    } else if (key == "local_domains" || key == "local-domains") {
      if (local_domains) *local_domains = split(value);
    } else if (key == "submission_ports" || key == "submission-ports") {
      Status st = SetSubmissionPorts(split(value));
      if (!st.ok()) return st.error().WithContext("config file");
    } else {
      Status st = SetThreshold(key, value);
      if (!st.ok()) return st.error().WithContext("config file");
    }
  }
  return Validate();
}

}  // namespace mxir::detect
