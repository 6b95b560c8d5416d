#include "core/event_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/json_writer.h"

namespace mxir {

void WriteEventJson(EventJsonBuffer& b, const Event& e) {
  thread_local std::string scratch;
  scratch.clear();
  e.ts.AppendTo(scratch);
  b.StrAlways("{\"ts\":", scratch);
  b.Str(",\"source\":", e.source);
  if (!e.origin.file.empty() || !e.origin.sha256.empty()) {
    b.Room(16);
    b.Lit(",\"origin\":{");
    // The first member has no comma before it; "file" is present whenever a name is known.
    if (!e.origin.file.empty()) {
      b.StrAlways("\"file\":", e.origin.file);
      b.Str(",\"sha256\":", e.origin.sha256);
    } else {
      b.StrAlways("\"sha256\":", e.origin.sha256);
    }
    if (e.origin.line >= 0) b.Int(",\"line\":", e.origin.line);
    if (e.origin.packet >= 0) b.Int(",\"packet\":", e.origin.packet);
    if (e.origin.index > 0) b.Int(",\"index\":", e.origin.index);
    b.Char('}');
  }
  b.Str(",\"protocol\":", e.protocol);
  b.Str(",\"session\":", e.session);
  if (e.client_ip) {
    scratch.clear();
    e.client_ip->AppendTo(scratch);
    b.StrAlways(",\"client_ip\":", scratch);
  }
  if (e.client_port >= 0) b.Int(",\"client_port\":", e.client_port);
  if (e.server_ip) {
    scratch.clear();
    e.server_ip->AppendTo(scratch);
    b.StrAlways(",\"server_ip\":", scratch);
  }
  if (e.server_port >= 0) b.Int(",\"server_port\":", e.server_port);
  b.StrAlways(",\"kind\":", EventKindName(e.kind));

  if (e.duration_s) b.Double(",\"duration_s\":", *e.duration_s);
  if (e.bytes_c2s) b.Int(",\"bytes_c2s\":", *e.bytes_c2s);
  if (e.bytes_s2c) b.Int(",\"bytes_s2c\":", *e.bytes_s2c);
  if (e.gaps) b.Int(",\"gaps\":", *e.gaps);
  b.Str(",\"state\":", e.state);
  b.Str(",\"direction\":", e.direction);
  if (e.bytes) b.Int(",\"bytes\":", *e.bytes);
  b.Str(",\"helo\":", e.helo);
  if (e.esmtp) b.Bool(",\"esmtp\":", *e.esmtp);
  b.Str(",\"how\":", e.how);
  b.Str(",\"sni\":", e.sni);
  b.Str(",\"mechanism\":", e.mechanism);
  b.Str(",\"user\":", e.user);
  b.Str(",\"outcome\":", e.outcome);
  b.Str(",\"secret_fp\":", e.secret_fp);
  if (e.code) b.Int(",\"code\":", *e.code);
  b.Str(",\"mail_from\":", e.mail_from);
  b.Str(",\"rcpt_to\":", e.rcpt_to);
  if (e.accepted) b.Bool(",\"accepted\":", *e.accepted);
  if (e.kind == EventKind::kMessage || !e.recipients.empty()) {
    b.List(",\"recipients\":", e.recipients);
  }
  if (e.size) b.Int(",\"size\":", *e.size);
  b.Str(",\"header_from\":", e.header_from);
  if (!e.to.empty()) b.List(",\"to\":", e.to);
  if (!e.cc.empty()) b.List(",\"cc\":", e.cc);
  b.Str(",\"subject\":", e.subject);
  b.Str(",\"msg_id\":", e.msg_id);
  b.Str(",\"user_agent\":", e.user_agent);
  b.Str(",\"date\":", e.date);
  if (!e.received.empty()) b.List(",\"received\":", e.received);
  if (e.truncated) b.Bool(",\"truncated\":", *e.truncated);
  if (e.continued) b.Bool(",\"continued\":", *e.continued);
  b.Str(",\"enhanced\":", e.enhanced);
  b.Str(",\"text\":", e.text);
  b.Str(",\"command\":", e.command);
  b.Str(",\"relay\":", e.relay);
  b.Str(",\"status\":", e.status);
  b.Str(",\"actor\":", e.actor);
  b.Str(",\"operation\":", e.operation);
  if (e.kind == EventKind::kMailboxChange || !e.parameters.empty()) {
    b.Pairs(",\"parameters\":", e.parameters);
  }
  b.Str(",\"client_app\":", e.client_app);
  b.Str(",\"error_code\":", e.error_code);
  b.Str(",\"country\":", e.country);
  if (e.asn) b.Int(",\"asn\":", *e.asn);
  b.Str(",\"reason\":", e.reason);
  b.Str(",\"queue_id\":", e.queue_id);
  b.Str(",\"reply_to\":", e.reply_to);
  b.Str(",\"in_reply_to\":", e.in_reply_to);
  b.Str(",\"x_originating_ip\":", e.x_originating_ip);
  b.Str(",\"server_name\":", e.server_name);
  b.Char('}');
}

void AppendEventJson(std::string& out, const Event& e) {
  thread_local EventJsonBuffer b;
  b.Clear();
  WriteEventJson(b, e);
  out.append(b.View());
}

void EventJsonBuffer::Grow(size_t n) {
  const size_t used = size();
  const size_t cap = std::max<size_t>(2 * static_cast<size_t>(end_ - data_.get()), used + n + 4096);
  auto bigger = std::make_unique<char[]>(cap);
  std::memcpy(bigger.get(), data_.get(), used);
  data_ = std::move(bigger);
  p_ = data_.get() + used;
  end_ = data_.get() + cap;
}

std::string EventToJson(const Event& event) {
  std::string s;
  AppendEventJson(s, event);
  return s;
}

}  // namespace mxir
