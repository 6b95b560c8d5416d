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

// `attempts` must be sorted by time; merges in place and returns how many were folded away.
// `users` resolves user indexes to names (for the local-part rule); it may gain no entries.
int64_t MergeAuthAttempts(std::vector<AuthAttempt>* attempts, const Interner& users,
                          double window_s);

}  // namespace mxir::detect
