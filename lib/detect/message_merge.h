// Merging messages seen by several sources (a capture's DATA transaction and the MTA's log of
// the same message), so merged inputs do not count a message twice:
//
//   Two messages from different sources are one message when their Message-IDs are equal, or,
//   when either has none, when they have the same client, envelope sender and recipient set
//   and are at most `window_s` seconds apart.
//
// The kept record is the earliest; it takes the other's account, subject, sender domain and
// From check when it lacks them (logs carry no headers; captures may miss the login), and its
// `sources` is the union. Messages from one source are never merged with each other.
#pragma once

#include <cstdint>
#include <vector>

#include "detect/evidence.h"

namespace mxir::detect {

// `in` must be sorted by time; `*out` becomes the merged messages. Returns how many were folded
// away. `in` is not changed: a later call over `in` with more messages sorted in (detect
// --follow) merges everything again, as one call over all of them would.
int64_t MergeMessages(const std::vector<MessageRec>& in, const std::vector<RecipientRef>& rcpts,
                      double window_s, std::vector<MessageRec>* out);

}  // namespace mxir::detect
