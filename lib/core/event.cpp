#include "core/event.h"

#include <iterator>

namespace mxir {

namespace {
constexpr const char* kKindNames[] = {"session_start", "session_end", "gap",      "helo",
                                      "tls",           "auth",        "mail",     "rcpt",
                                      "message",       "reply",       "delivery", "mailbox_change"};
}  // namespace

const char* EventKindName(EventKind kind) { return kKindNames[static_cast<int>(kind)]; }

std::optional<EventKind> ParseEventKind(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kKindNames)); ++i) {
    if (name == kKindNames[i]) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

}  // namespace mxir
