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

int RecordLocality(std::string_view bytes) {
  constexpr int kSecondsPerDay = 86400;
  auto digit = [&](size_t i) { return bytes[i] >= '0' && bytes[i] <= '9'; };
  auto two = [&](size_t i) { return (bytes[i] - '0') * 10 + (bytes[i + 1] - '0'); };
  const size_t n = bytes.size() < 64 ? bytes.size() : 64;
  for (size_t i = 0; i + 5 <= n; ++i) {
    if (i > 0 && digit(i - 1)) continue;
    if (!digit(i) || !digit(i + 1) || bytes[i + 2] != ':' || !digit(i + 3) || !digit(i + 4)) {
      continue;
    }
    int seconds = two(i) * 3600 + two(i + 3) * 60;
    if (i + 8 <= bytes.size() && bytes[i + 5] == ':' && digit(i + 6) && digit(i + 7)) {
      seconds += two(i + 6);
    }
    // The day of the month just before the clock: syslog's "Jan  7 " or "Dec 17 ", ISO's
    // "-07T" or "-07 ". A day the stamp does not give (Apache's "/2000:", a bare clock) is 0.
    int day = 0;
    if (i >= 3 && (bytes[i - 1] == ' ' || bytes[i - 1] == 'T') && digit(i - 2) &&
        (i == 3 || !digit(i - 4))) {
      if (digit(i - 3)) {
        day = two(i - 3);
      } else if (bytes[i - 3] == ' ') {
        day = bytes[i - 2] - '0';
      }
      if (day > 31) day = 0;
    }
    return 1 + day * kSecondsPerDay + seconds;
  }
  return 0;
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

namespace {

// Clears without writing to a string or list that is empty already: a reused Event has most
// members empty, and clear() would still write each one's terminator (a store per member).
template <typename T>
void Clear(T& v) {
  if (!v.empty()) v.clear();
}

}  // namespace

void ResetEvent(Event& e) {
  e.ts = Timestamp();
  e.origin = EventOrigin();
  e.session = SharedString();
  e.client_port = -1;
  e.server_port = -1;
  e.kind = EventKind::kReply;
  Clear(e.source);
  Clear(e.protocol);
  Clear(e.state);
  Clear(e.direction);
  Clear(e.helo);
  Clear(e.how);
  Clear(e.sni);
  Clear(e.mechanism);
  Clear(e.user);
  Clear(e.outcome);
  Clear(e.secret_fp);
  Clear(e.mail_from);
  Clear(e.rcpt_to);
  Clear(e.header_from);
  Clear(e.subject);
  Clear(e.msg_id);
  Clear(e.user_agent);
  Clear(e.date);
  Clear(e.enhanced);
  Clear(e.text);
  Clear(e.command);
  Clear(e.relay);
  Clear(e.status);
  Clear(e.actor);
  Clear(e.operation);
  Clear(e.client_app);
  Clear(e.error_code);
  Clear(e.country);
  Clear(e.reason);
  Clear(e.queue_id);
  Clear(e.reply_to);
  Clear(e.in_reply_to);
  Clear(e.x_originating_ip);
  Clear(e.server_name);
  Clear(e.recipients);
  Clear(e.to);
  Clear(e.cc);
  Clear(e.received);
  Clear(e.parameters);
  e.client_ip.reset();
  e.server_ip.reset();
  e.duration_s.reset();
  e.bytes_c2s.reset();
  e.bytes_s2c.reset();
  e.gaps.reset();
  e.bytes.reset();
  e.esmtp.reset();
  e.code.reset();
  e.accepted.reset();
  e.size.reset();
  e.truncated.reset();
  e.continued.reset();
  e.asn.reset();
}

}  // namespace mxir
