// Merging AUTH attempts seen by several sources (the rule docs/mxir-detect.md documents):
//
//   Two attempts are the same attempt when they come from different sources (e.g. pcap and
//   dovecot, or postfix and dovecot), have the same client address and the same outcome, are at
//   most `window_s` seconds apart, and their accounts agree: equal (case-insensitive), or one
//   is unknown (Postfix's "SASL LOGIN authentication failed" lines name no account), or one is
//   the local part of the other ("bob" and "bob@example.com").
//
// Each attempt merges into the earliest matching one that does not yet include its source, so
// two attempts from one source are never merged (a source that logs an attempt twice is that
// source's business, not a duplicate). The merged attempt keeps the earliest time, the fullest
// account name and the first fingerprint; its `sources` is the union.
#pragma once

#include <cstdint>
#include <vector>

#include "detect/evidence.h"

namespace mxir::detect {

// `in` must be sorted by time; `*out` becomes the merged attempts (in's order of first
// attempts), and (*creators)[j] the index in `in` of the attempt out[j] began as. Returns how
// many were folded away. `in` is not changed: a later call over `in` with more attempts sorted
// in (detect --follow) merges everything again, as one call over all of them would — a merge
// made earlier may not be the one all the attempts give. `users` resolves user indexes to
// names (for the local-part rule); it may gain no entries.
int64_t MergeAuthAttempts(const std::vector<AuthAttempt>& in, const Interner& users,
                          double window_s, std::vector<AuthAttempt>* out,
                          std::vector<uint32_t>* creators);

}  // namespace mxir::detect
