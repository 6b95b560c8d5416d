// The compromise model: who may log in to an account after it was attacked, and which verdict a
// later successful login gets. It is the one place that decides account_compromise and
// login_after_attack (spec/events.md); other detectors (hosted mail: MFA-blocked sign-ins,
// mailbox rules) feed it signs and use its emitters, so every compromise finding has one shape.
//
// Per account, over the whole input:
//   * attack: the failures against the account from clients AuthAnalysis judged attacking (brute
//     force fast, slow or distributed, spraying, stuffing — aimed at this or other accounts). The
//     account counts as attacked from its first such failure (attack_start) once it has
//     --compromise-min-failures of them; a login later than --compromise-lookback after the last
//     one is no longer judged. Typos (AuthAnalysis::typo) and the failures of a pair judged a
//     stale device are not attack failures.
//   * own devices: the clients that logged in successfully as the account before attack_start,
//     their networks (IPv4 /24, IPv6 /64) and their distinctive HELO names (a phone that changes
//     address keeps its name; generic names such as "localhost" or an address literal do not
//     count).
// A success is then judged (Judge(), LoginOrigin):
//   kAttacker   the client was attacking by then (this or other accounts), or, for an outside
//               attacker, is in its network                               -> account_compromise
//               (when the attacker's address is also an own device — many users behind one NAT
//               address — only a success in a session that also guessed, or under a HELO name
//               the guessing sessions used and no own device did, counts as the attacker's)
//   kOwnDevice  an own device (address, network or device name)           -> nothing new; the
//               attack finding lists the account as targeted, "no sign it was taken"
//   kNewClient  none of these, within the lookback after the attack       -> login_after_attack
//               (medium), raised to account_compromise by any sign (RaisingSigns): a
//               bulk_outbound finding for the account, its mail with a From that is not the
//               account sent from a new client, --compromise-many-clients new clients within the
//               lookback, --compromise-new-clients-in-row new clients in a row, a new host in
//               a country or network (ASN) none of the account's own devices used — when both
//               are known, from the source or a GeoIP file — or a CompromiseSign another
//               detector added (DetectContext::compromise_signs).
//   kNotJudged  not after an attack (or the account was never attacked).
// Independently of any attack: an account used by --compromise-many-clients clients new to it
// within the lookback, with mail whose From is not the account from several of them, is an
// account_compromise ("used by many clients") — a stolen password used without guessing.
//
// Explanations name the rule that fired and say why the others did not.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/finding.h"
#include "detect/auth_analysis.h"
#include "detect/detect_config.h"
#include "detect/evidence.h"

namespace mxir::detect {

struct DetectContext;

enum class LoginOrigin : uint8_t { kNotJudged, kOwnDevice, kAttacker, kNewClient };
const char* LoginOriginName(LoginOrigin o);

// A sign from another detector that an account is in someone else's hands (for example a sign-in
// with the right password stopped only by MFA, or a forwarding rule created after a login). Push
// it into DetectContext::compromise_signs before DetectAccountCompromise runs: a login_after_attack
// of the account at or before `ts` (within the lookback) becomes an account_compromise naming it.
// With `alone` set, the sign is enough by itself: the account gets an account_compromise even
// without an attack (the sign's own detector has judged it).
struct CompromiseSign {
  std::string user;  // the account, as in the events
  int64_t ts = 0;    // microseconds since the epoch
  std::string what;  // for the explanation: "a sign-in with the right password was blocked by MFA"
  std::string client;  // the client it came from, when known
  bool alone = false;
};

struct AccountHistory {
  uint32_t user = kNone;
  int64_t attack_start = 0, attack_last = 0;  // attack failures' window; 0/0 when not attacked
  int64_t attack_failures = 0;
  std::vector<uint32_t> own_clients;  // Evidence::clients, sorted
  std::vector<uint32_t> own_helos;    // Evidence::texts, distinctive HELO names, sorted
  // The countries and networks (Evidence::client_country / client_asn) of the own devices
  // whose country or network is known, sorted: a new host outside all of them is a sign, never
  // a verdict on its own (RaisingSigns).
  std::vector<uint16_t> own_countries;
  std::vector<uint32_t> own_asns;
  bool attacked() const { return attack_failures > 0; }
};

class CompromiseModel {
 public:
  // `ctx` (optional): inside/outside answers from its cache instead of asking `loc` again.
  static CompromiseModel Build(const Evidence& ev, const AuthAnalysis& auth,
                               const DetectConfig& cfg, const class Locality& loc,
                               const DetectContext* ctx = nullptr);

  // The verdict for a successful login (an index into Evidence::attempts).
  LoginOrigin Judge(uint32_t attempt) const;
  // The account's history, or nullptr when it never logged in and was never attacked.
  const AccountHistory* History(uint32_t user) const;
  // Accounts with at least one attack failure, sorted by index.
  const std::vector<uint32_t>& attacked_accounts() const { return attacked_; }

 private:
  const Evidence* ev_ = nullptr;
  const AuthAnalysis* auth_ = nullptr;
  const Locality* loc_ = nullptr;
  const DetectContext* ctx_ = nullptr;
  bool Inside(uint32_t client) const;
  int64_t lookback_us_ = 0;
  // The accounts' histories, and per Evidence::users index its place there (kNone: none).
  std::vector<AccountHistory> accounts_;
  std::vector<uint32_t> account_at_;
  AccountHistory& Account(uint32_t user);
  std::vector<uint32_t> attacked_;
  std::vector<uint8_t> failed_sessions_;  // per Evidence::session_recs: a session that guessed
  // The networks (IPv4 /24, IPv6 /64) of attacking clients outside, by NetworkKey: the IPv6
  // ones and the IPv4 ones apart, so no /64 is taken for a /24 or for another /64.
  std::unordered_set<uint64_t> attacker_net4_, attacker_net6_;
  std::unordered_set<uint32_t> attacker_helos_;  // HELO names of attack sessions
  // Per AuthAnalysis::pair id (client, account): the time of the pair's first success and of
  // its first attack failure; kNever when there is none.
  static constexpr int64_t kNever = INT64_MAX;
  std::vector<int64_t> first_success_;
  std::vector<int64_t> first_attack_failure_;
};

// What the emitters need; detectors fill it and call Emit*. `rule` is a short machine name
// (evidence.rule): "success_from_attacker", "new_client_with_signs", "used_by_many_clients", or
// another detector's own ("mfa_blocked_right_password", ...). `why` says what was seen and why
// it matters; `why_not` says which other rules did not fire and why (both plain sentences).
struct CompromiseReport {
  std::string user, client;
  int64_t first = 0, last = 0;  // microseconds
  std::string rule, why, why_not;
  std::vector<std::string> signs;  // the raising signs, each a short phrase
  // Countries and networks ("AS64500") of the new hosts that none of the own devices used.
  std::vector<std::string> new_countries, new_networks;
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  std::vector<std::string> origins;  // "file:line" samples
  bool inside = false;
};
// One account_compromise (critical, playbook compromised-account) per account: a second report
// for an account widens the window and adds its rule and signs to the same finding.
void EmitAccountCompromise(DetectContext& ctx, const CompromiseReport& r);
// login_after_attack (medium, playbook triage): a person should confirm the login was the user.
void EmitLoginAfterAttack(DetectContext& ctx, const CompromiseReport& r);

}  // namespace mxir::detect
