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

void ResetEvent(Event& e) {
  e.ts = Timestamp();
  e.origin = EventOrigin();
  e.session = SharedString();
  e.client_port = -1;
  e.server_port = -1;
  e.kind = EventKind::kReply;
  e.source.clear();
  e.protocol.clear();
  e.state.clear();
  e.direction.clear();
  e.helo.clear();
  e.how.clear();
  e.sni.clear();
  e.mechanism.clear();
  e.user.clear();
  e.outcome.clear();
  e.secret_fp.clear();
  e.mail_from.clear();
  e.rcpt_to.clear();
  e.header_from.clear();
  e.subject.clear();
  e.msg_id.clear();
  e.user_agent.clear();
  e.date.clear();
  e.enhanced.clear();
  e.text.clear();
  e.command.clear();
  e.relay.clear();
  e.status.clear();
  e.actor.clear();
  e.operation.clear();
  e.client_app.clear();
  e.error_code.clear();
  e.country.clear();
  e.reason.clear();
  e.queue_id.clear();
  e.reply_to.clear();
  e.in_reply_to.clear();
  e.x_originating_ip.clear();
  e.server_name.clear();
  e.recipients.clear();
  e.to.clear();
  e.cc.clear();
  e.received.clear();
  e.parameters.clear();
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
