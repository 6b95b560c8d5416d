// DetectConfig: every threshold the detectors use, with its documented default, and the one
// table (kThresholds) that names them for command-line options, config files and --help.
//
// Defaults come from ../shared/reference/detection-anchors.md (fail2ban, CrowdSec, Postfix
// anvil, policyd-rate-limit, provider caps) and are explained in docs/mxir-detect.md. Callers
// may rely on: a default-constructed DetectConfig is the documented default; ApplyIni() and
// SetThreshold() validate values (no negatives, ratios within 0..1) and name the bad key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ini_file.h"
#include "core/status.h"

namespace mxir::detect {

struct DetectConfig {
  // Merging sources: one AUTH attempt seen by several sources within this window is one attempt.
  double merge_window_s = 2;

  // stale_credentials (anchors: "Stale" first cut).
  int64_t stale_min_failures = 6;
  int64_t stale_max_secrets = 1;              // distinct wrong secrets (when fingerprints exist)
  double stale_max_cadence_cv = 0.25;         // stddev/mean of the intervals (no fingerprints)
  double stale_max_attempts_per_session = 2;  // no fingerprints
  int64_t stale_max_parallel_sessions = 2;    // no fingerprints

  // brute_force (fail2ban 5/10m per IP; anchors suggest 20/10m per account).
  int64_t brute_min_failures = 10;  // within brute_window_s
  double brute_window_s = 3600;
  int64_t brute_min_secrets = 3;              // distinct secrets (when fingerprints exist)
  double brute_min_attempts_per_session = 3;  // attack sign without fingerprints
  int64_t brute_min_parallel_sessions = 3;    // attack sign without fingerprints
  // The slow form: this many failures for one account from one host over the whole input, at any
  // rate, with the signs above (many secrets, or several attempts per session / parallel
  // sessions). A person mistyping does not fail 20 times with 3 different passwords.
  int64_t brute_slow_min_failures = 20;
  // The distributed form: this many hosts that never logged in as the account failing for it
  // (any time span), with at least brute_min_failures failures and, with fingerprints,
  // brute_min_secrets distinct passwords.
  int64_t brute_distributed_min_clients = 10;

  // password_spraying / credential_stuffing (anchors: 5 users per IP per hour, distributed
  // 10 users from 10 IPs, one secret across 5 users).
  int64_t spray_min_users = 5;
  double spray_window_s = 3600;
  double spray_max_attempts_per_user = 3;
  int64_t spray_min_users_per_secret = 5;
  int64_t distributed_min_users = 10;
  int64_t distributed_min_clients = 10;
  double stuffing_min_secret_ratio = 0.8;  // distinct secrets / distinct users

  // account_compromise / login_after_attack (compromise.h). An account counts as attacked from
  // its first failure from an attacking host once it has this many such failures; a success from
  // a host new to the account within --compromise-lookback after the last of them is judged.
  int64_t compromise_min_failures = 1;
  double compromise_lookback_s = 86400;
  // Signs that raise a login_after_attack to account_compromise: this many hosts new to the
  // account logging in within --compromise-lookback, or this many new hosts in a row (no own
  // device in between).
  int64_t compromise_many_clients = 5;
  int64_t compromise_new_clients_in_row = 3;

  // bulk_outbound (policyd-rate-limit 10/min 150/day, Courier 100 rcpt/min, M365 hardening
  // 500 external rcpt/hour; rejected share 20 % from the anchors).
  double bulk_window_s = 3600;
  int64_t bulk_min_recipients = 100;
  int64_t bulk_min_messages = 50;
  int64_t bulk_min_domains = 20;
  double bulk_rejected_ratio = 0.2;
  double bulk_from_mismatch_ratio = 0.5;
  int64_t bulk_same_subject_recipients = 20;
  double bulk_history_factor = 10;
  int64_t bulk_history_min_recipients = 20;

  // open_relay (CrowdSec relay-denied: capacity 1).
  int64_t open_relay_min_messages = 1;

  // inbound_flood.
  int64_t flood_min_messages = 100;
  double flood_window_s = 3600;

  // remote_blocklisting / remote_throttling.
  int64_t blocklist_min_replies = 1;
  int64_t throttle_min_replies = 3;

  // session_burst (metadata only).
  int64_t burst_min_sessions = 10;
  double burst_window_s = 3600;
  double burst_max_median_duration_s = 30;
  // A failed login over TLS sends ~0.8 KB; a session that also sends a message sends more.
  int64_t burst_max_median_bytes = 1200;
  // Ports where clients submit mail with a login (sessions there count for session_burst).
  std::vector<int> submission_ports = {587, 465};

  // Sets one threshold by its name in kThresholds ("stale-min-failures" or "stale_min_failures").
  [[nodiscard]] Status SetThreshold(std::string_view name, std::string_view value);
  // Sets submission_ports from "587, 465, 2587"; the error names the bad port.
  [[nodiscard]] Status SetSubmissionPorts(const std::vector<std::string>& ports);
  // Reads the [detect] section of a config file: thresholds by name, `submission_ports`, and
  // `internal` and `local_domains` (comma-separated), returned through the out-parameters.
  [[nodiscard]] Status ApplyIni(const IniFile& ini, std::vector<std::string>* internal,
                                std::vector<std::string>* local_domains);
  // Checks ratios and signs; names the first bad threshold.
  [[nodiscard]] Status Validate() const;
};

enum class ThresholdType { kCount, kRatio, kSeconds };

struct ThresholdSpec {
  const char* name;  // option name: "stale-min-failures"; INI key: "stale_min_failures"
  ThresholdType type;
  int64_t DetectConfig::*count = nullptr;
  double DetectConfig::*number = nullptr;
  const char* help;
};

const std::vector<ThresholdSpec>& Thresholds();
// The value as text ("6", "0.25", "3600").
std::string ThresholdValueText(const DetectConfig& c, const ThresholdSpec& spec);

}  // namespace mxir::detect
