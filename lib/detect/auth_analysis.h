// AuthAnalysis: the one place that classifies failed logins, so the kinds stay exclusive — a
// stale device is never also called an attacker, and an attacker never a stale device.
//
// Four views over the merged attempts of an Evidence:
//   * AuthSeries: one account from one client (stale_credentials or brute_force, fast or slow:
//     the slow form counts failures over the whole input, not in a window);
//   * AccountAttack: one account from many clients that never logged in as it, one or two
//     attempts each, over any time span (brute_force, distributed form);
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
  double top_secret_share = 0;    // failures with the most frequent secret / all failures
  double cadence_cv = 0;  // robust stddev / mean of the intervals (see Cadence() in the .cpp)
  double median_interval_s = 0;
  double attempts_per_session = 1;
  // Sessions with at least --brute-min-attempts-per-session failures: a guesser's connections,
  // even when a stale device or typos behind the same address lower the average.
  int64_t guessing_sessions = 0;
  int64_t max_parallel = 1;
  int64_t max_in_window = 0;  // failures within --brute-window at the busiest point
  bool slow = false;          // brute force below --brute-min-failures per --brute-window
  // Brute force: when the guessing began — the first failure with a secret tried at most twice
  // (with fingerprints) or in a session with several attempts (without); a stale device or
  // typos behind the same address may have failed earlier.
  int64_t attack_start = 0;
  AuthVerdict verdict = AuthVerdict::kNone;
};

// The distributed form of brute force against one account.
struct AccountAttack {
  uint32_t user = kNone;
  // The clients and their failures against the account, most failures first (then address).
  std::vector<std::pair<uint32_t, int64_t>> clients;
  std::vector<uint32_t> failures;  // indexes into Evidence::attempts, time order
  int64_t first = 0, last = 0;
  bool has_fingerprints = false;
  int64_t distinct_secrets = 0;
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
  std::vector<AccountAttack> account_attacks;  // sorted by account
  // Per Evidence::attempts index: 1 for a typo — one or two failures of a client for an account
  // followed within 2 minutes by that client's success for it (the account's own device
  // mistyping, also behind a shared NAT address). Typos are left out of every attack and
  // stale-device view. (A guesser's last one or two failures before its winning guess look the
  // same; leaving them out changes nothing: the success from the guessing host is judged on its
  // own, see compromise.h.)
  std::vector<uint8_t> typo;
  // Per Evidence::attempts index: a dense id (0 .. pair_count-1) of its (client, account) pair,
  // made once so the per-pair views here and in the compromise model are plain vectors indexed
  // by it instead of whole-input hash maps.
  std::vector<uint32_t> pair;
  uint32_t pair_count = 0;
  // Clients whose failures are explained by a stale device verdict.
  std::unordered_map<uint32_t, int64_t> stale_clients;
  // Clients judged to attack (any attack verdict): per Evidence::clients index, the time of its
  // first attack failure (kNotAttacker when it did not attack) — a vector read instead of a hash
  // lookup in the loops over every attempt.
  static constexpr int64_t kNotAttacker = INT64_MAX;
  // The last entry stands for kNone (attempts without a client address are one "client" too).
  std::vector<int64_t> attacker_since;
  // Per Evidence::clients index (the last for kNone): 1 when an attacker or in stale_clients.
  std::vector<uint8_t> attacker_or_stale;
  int64_t AttackerSince(uint32_t client) const {
    return attacker_since[client == kNone ? attacker_since.size() - 1 : client];
  }
  bool IsAttacker(uint32_t client) const { return AttackerSince(client) != kNotAttacker; }
  bool AttackerOrStale(uint32_t client) const {
    return attacker_or_stale[client == kNone ? attacker_or_stale.size() - 1 : client];
  }

  static AuthAnalysis Build(const Evidence& ev, const DetectConfig& cfg);
};

const char* AuthVerdictName(AuthVerdict v);

}  // namespace mxir::detect
