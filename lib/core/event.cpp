#include "core/event.h"

#include <iterator>

#include <xxhash.h>

namespace mxir {

namespace {
constexpr const char* kKindNames[] = {"session_start", "session_end", "gap",      "helo",
                                      "tls",           "auth",        "mail",     "rcpt",
                                      "message",       "reply",       "delivery", "mailbox_change"};
}  // namespace

const char* EventKindName(EventKind kind) { return kKindNames[static_cast<int>(kind)]; }

int EventKindCount() { return static_cast<int>(std::size(kKindNames)); }

std::optional<EventKind> ParseEventKind(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kKindNames)); ++i) {
    if (name == kKindNames[i]) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

uint64_t RecordHash(std::string_view bytes) {
  uint64_t h = XXH3_64bits(bytes.data(), bytes.size());
  return h == 0 ? 1 : h;
}

namespace {
constexpr size_t kRepeatSlots = size_t{1} << 18;  // per generation; filled to half
}  // namespace

RecordRepeats::RecordRepeats() : cur_(kRepeatSlots) {}

RecordRepeats::Slot* RecordRepeats::Find(std::vector<Slot>& table, uint64_t hash) {
  size_t mask = table.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    if (table[i].hash == hash || table[i].hash == 0) return &table[i];
  }
}

int RecordRepeats::Next(uint64_t hash) {
  if (hash == 0) hash = 1;
  Slot* s = Find(cur_, hash);
  if (s->hash == hash) return static_cast<int>(s->count++);
  uint32_t before = 0;
  if (!old_.empty()) {
    Slot* o = Find(old_, hash);
    if (o->hash == hash) before = o->count;
  }
  if (used_ + 1 > kRepeatSlots / 2) {  // start a new generation; the last one stays readable
    old_.swap(cur_);
    cur_.assign(kRepeatSlots, Slot{});
    used_ = 0;
    s = Find(cur_, hash);
  }
  s->hash = hash;
  s->count = before + 1;
  ++used_;
  return static_cast<int>(before);
}

}  // namespace mxir
