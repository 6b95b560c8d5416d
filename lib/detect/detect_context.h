// DetectContext: what every detector reads (the evidence, the auth classification, the
// thresholds, the locality) and where it writes (the findings), plus the small helpers that
// give every finding the same shape: a stable id, the evidence window, a sample of origins.
//
// Stable ids: kind + the finding's key (client, account, list, ...) hashed with FNV-1a 64, so
// running detect again on more events updates the same finding (FindingStore::Upsert) instead
// of adding a copy. Detectors run in a fixed order (see detect_engine.cpp); later detectors may
// read earlier findings (account_compromise reads bulk_outbound, session_burst reads all).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "detect/auth_analysis.h"
#include "detect/compromise.h"
#include "detect/detect_config.h"
#include "detect/evidence.h"
#include "detect/locality.h"

namespace mxir::detect {

struct DetectContext {
  const Evidence& ev;
  const AuthAnalysis& auth;
  const DetectConfig& cfg;
  const Locality& loc;
  std::vector<Finding>& findings;
  // Per Evidence::domains index: 1 when it is one of the local domains (filled by the engine
  // once, so detectors need no string work per recipient).
  std::vector<uint8_t> local_domain = {};
  // Signs of a takeover from detectors that run before DetectAccountCompromise (compromise.h).
  std::vector<CompromiseSign> compromise_signs = {};
  // remote_blocklisting findings folded into the runaway summary (runaway_guard.h).
  size_t listed_folded = 0;
  // Per Evidence::clients index: 0 not asked yet, 1 outside, 2 inside (Inside()). The engine
  // keeps it from one --follow pass to the next while the locality stays the same (client
  // indexes never change once given), so a pass asks only about clients it has not met.
  mutable std::vector<uint8_t> inside_cache = {};

  bool Inside(uint32_t client) const {
    if (client == kNone) return false;
    // Each client's answer once (detectors ask again and again for the same hosts).
    if (inside_cache.size() < ev.clients.size()) inside_cache.resize(ev.clients.size(), 0);
    uint8_t& v = inside_cache[client];
    if (v == 0) v = loc.IsInternal(ev.clients[client]) ? 2 : 1;
    return v == 2;
  }
  bool LocalDomain(uint32_t domain) const {
    return domain != kNone && domain < local_domain.size() && local_domain[domain];
  }
};

// "<kind>-<16 hex digits>" from the kind and the key parts.
std::string StableId(std::string_view kind, std::initializer_list<std::string_view> parts);

// A finding with id, kind, severity, playbook and window filled in.
Finding NewFinding(std::string_view kind, Severity severity, std::string_view playbook,
                   std::initializer_list<std::string_view> key, int64_t first_us, int64_t last_us);

// Adds evidence.event_ids: up to 5 origins ("file:line", "file#packet") of the attempts.
void AddAttemptOrigins(Finding& f, const Evidence& ev, const std::vector<uint32_t>& attempts);
void AddOrigins(Finding& f, const std::vector<std::string>& origins);

// The one-line verdict shown in tables (stored as evidence.verdict).
void SetVerdict(Finding& f, std::string verdict);

// "3 attempts" / "1 attempt".
std::string Count(int64_t n, std::string_view singular, std::string_view plural = "");
// "every 60 s" style rounding for explanations.
std::string Seconds(double s);
// A short list: "a, b, c and 4 more".
std::string ShortList(const std::vector<std::string>& items, size_t max_items = 3);
// The users' names, sorted.
std::vector<std::string> UserNames(const Evidence& ev, const std::vector<uint32_t>& users);

Severity Raise(Severity s);

// The detectors, one per finding kind, one file each.
void DetectStaleCredentials(DetectContext& ctx);
void DetectBruteForce(DetectContext& ctx);
void DetectPasswordSpraying(DetectContext& ctx);
void DetectCredentialStuffing(DetectContext& ctx);
void DetectBulkOutbound(DetectContext& ctx);
// account_compromise and login_after_attack (compromise.h).
void DetectAccountCompromise(DetectContext& ctx);
void DetectOpenRelay(DetectContext& ctx);
void DetectInboundFlood(DetectContext& ctx);
void DetectRemoteBlocklisting(DetectContext& ctx);
void DetectRemoteThrottling(DetectContext& ctx);
void DetectSessionBurst(DetectContext& ctx);
// Hosted mail (Entra ID, Microsoft 365, Google): the password accepted but MFA or conditional
// access stopped the login, after guessing (account_compromise); mailbox rules and forwarding
// (mailbox_rule); basic authentication still in use (legacy_auth).
void DetectPasswordAcceptedAfterGuessing(DetectContext& ctx);
void DetectMailboxRules(DetectContext& ctx);
void DetectLegacyAuth(DetectContext& ctx);
// True when `client` was guessing passwords in the 24 hours before `ts` (hosted logins): wrong
// passwords for at least three accounts it never logged in to, more of them than accounts it
// logged in to, or at least five wrong passwords for `user`.
bool HostedClientWasGuessing(const Evidence& ev, uint32_t client, uint32_t user, int64_t ts);

}  // namespace mxir::detect
