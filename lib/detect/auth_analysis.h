// AuthAnalysis: the one place that classifies failed logins, so the kinds stay exclusive — a
// stale device is never also called an attacker, and an attacker never a stale device.
//
// Three views over the merged attempts of an Evidence:
//   * AuthSeries: one account from one client (stale_credentials or brute_force);
//   * ClientSweep: one client against many accounts in its busiest --spray-window
//     (password_spraying, credential_stuffing, or brute_force against several accounts);
//   * Distributed: many clients against many accounts, and one secret tried on many accounts.
// The classification uses fingerprints when most attempts carry one, otherwise cadence,
// attempts per session and parallel sessions (spec/events.md). It never looks at locality.
// Plain data after Build(); read-only for the detectors.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "detect/detect_config.h"
#include "detect/evidence.h"

namespace mxir::detect {

enum class AuthVerdict : uint8_t {
  kNone,
  kStale,
  kBruteForce,
  kSpraying,
  kStuffing,
};

struct AuthSeries {
  uint32_t client = kNone, user = kNone;
  std::vector<uint32_t> failures;  // indexes into Evidence::attempts, time order
  int64_t successes = 0;           // from the same client for the same account
  int64_t first = 0, last = 0;
  bool has_fingerprints = false;  // at least half the failures carry one
  int64_t distinct_secrets = 0;   // per fingerprint scheme, the largest count
  double cadence_cv = 0;          // stddev / mean of the intervals
  double median_interval_s = 0;
  double attempts_per_session = 1;
  int64_t max_parallel = 1;
  int64_t max_in_window = 0;  // failures within --brute-window at the busiest point
  AuthVerdict verdict = AuthVerdict::kNone;
};

struct ClientSweep {
  uint32_t client = kNone;
  std::vector<uint32_t> users;     // distinct accounts in the busiest window
  std::vector<uint32_t> failures;  // attempt indexes in that window
  int64_t first = 0, last = 0;
  int64_t distinct_secrets = 0;
  bool has_fingerprints = false;
  double attempts_per_user = 0;
  AuthVerdict verdict = AuthVerdict::kNone;
};

struct DistributedAttack {
  AuthVerdict verdict = AuthVerdict::kNone;  // kSpraying or kStuffing
  uint32_t secret = kNone;                   // the shared secret (one-secret spraying), else kNone
  std::vector<uint32_t> users, clients, failures;
  int64_t first = 0, last = 0;
  int64_t distinct_secrets = 0;
};

struct AuthAnalysis {
  std::vector<AuthSeries> series;
  std::vector<ClientSweep> sweeps;  // only classified ones
  std::vector<DistributedAttack> distributed;
  // Clients judged to attack (any attack verdict) -> the time of their first failure.
  std::unordered_map<uint32_t, int64_t> attackers;
  // Clients whose failures are explained by a stale device verdict.
  std::unordered_map<uint32_t, int64_t> stale_clients;

  static AuthAnalysis Build(const Evidence& ev, const DetectConfig& cfg);
};

const char* AuthVerdictName(AuthVerdict v);

}  // namespace mxir::detect
