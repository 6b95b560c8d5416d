// The delisting workflow per (target, zone), as pure rules over casedb::DelistingRow:
//
//   (never seen) --listed--> listed --note --fixed--> cause_fixed --request--> requested
//   listed / cause_fixed / requested / relisted --seen clean--> delisted
//   delisted --seen listed again--> relisted   (relist_count + 1: a regression that must stand out)
//   relisted --note --fixed--> cause_fixed --request--> requested --seen clean--> delisted ...
//
// Observations come from check results: only `listed` and `not_listed` move the workflow;
// `refused` and `error` say nothing about the listing and change nothing. A relisting starts a new
// cycle: the fix and the request of the previous cycle are cleared (they are kept in the events).
// Requesting removal before the cause is recorded as fixed is refused unless forced, because a
// premature request wastes one-shot removals (JustSpam) and makes the case look worse.
#pragma once

#include <optional>
#include <string>

#include "casedb/dnsbl_store.h"
#include "core/status.h"
#include "dnsbl/catalog.h"

namespace mxir::dnsbl {

inline constexpr const char* kStateListed = "listed";
inline constexpr const char* kStateCauseFixed = "cause_fixed";
inline constexpr const char* kStateRequested = "requested";
inline constexpr const char* kStateDelisted = "delisted";
inline constexpr const char* kStateRelisted = "relisted";

// Events recorded in delisting_events (and as actions "dnsbl.<event>").
inline constexpr const char* kEventNewListing = "new_listing";
inline constexpr const char* kEventDelisted = "delisted";
inline constexpr const char* kEventRelisted = "relisted";
inline constexpr const char* kEventCauseFixed = "cause_fixed";
inline constexpr const char* kEventRequested = "requested";
inline constexpr const char* kEventNote = "note";

bool IsListedState(const std::string& state);  // listed, cause_fixed, requested, relisted

struct Transition {
  std::string event, from_state, to_state;
};

// Applies one observation at `ts`. `row` is the pair's current row (nullopt: never seen listed)
// and is created or updated in place. Returns the transition when the state changed.
std::optional<Transition> ApplyObservation(std::optional<casedb::DelistingRow>& row,
                                           const std::string& target, const std::string& zone,
                                           const std::string& list, CheckStatus status,
                                           Timestamp ts);

// A note; with `fixed`, the cause is recorded as fixed (listed/relisted -> cause_fixed).
Result<Transition> ApplyNote(casedb::DelistingRow& row, const std::string& text, bool fixed,
                             Timestamp ts);

// A removal request (how: "web form", "e-mail", ...; ref: ticket, SBL id, Message-ID).
Result<Transition> ApplyRequest(casedb::DelistingRow& row, const std::string& how,
                                const std::string& ref, bool force, Timestamp ts);

}  // namespace mxir::dnsbl
