// Steps of AuthAnalysis::Build (auth_analysis.h) that look across the per-(client, account)
// series: one client failing on many accounts (sweeps), many clients failing on one account
// (distributed brute force, spraying), and one account guessed from many places. Internal to
// lib/detect.
#pragma once

#include <cstdint>
#include <vector>

#include "detect/auth_analysis.h"
#include "detect/detect_config.h"
#include "detect/evidence.h"

namespace mxir::detect::internal {

// Distinct secrets per fingerprint scheme among the attempts `idx` (schemes do not compare):
// the largest count; *with_fp counts the attempts that carried a fingerprint.
int64_t DistinctSecrets(const Evidence& ev, const std::vector<uint32_t>& idx, int64_t* with_fp);

// The busiest --spray-window of each client by distinct accounts failing.
void BuildSweeps(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out);
// Failures not explained by one client: one secret on many accounts, or many clients on many
// accounts within --spray-window (clients in out->attacker_or_stale are left out).
void BuildDistributed(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out);
// One account guessed from many clients that never logged in as it, over any time span (the
// failures of clients already explained are left out).
void BuildAccountAttacks(const Evidence& ev, const DetectConfig& c, AuthAnalysis* out);

}  // namespace mxir::detect::internal
