#include "smtp/session_events.h"

#include "core/address_list.h"
#include "smtp/auth_decoder.h"
#include "smtp/protocol_lines.h"
#include "smtp/smtp_session.h"
#include "smtp/text_codecs.h"
#include "smtp/zeek_addresses.h"

namespace mxir::smtp {
namespace {

const char* EndStateText(stream::EndState s) {
  switch (s) {
    case stream::EndState::kClosed:
      return "closed";
    case stream::EndState::kReset:
      return "reset";
    case stream::EndState::kTimeout:
      return "timeout";
    case stream::EndState::kTruncated:
      return "truncated";
  }
  return "closed";
}

constexpr size_t kMaxText = 1024;  // reply texts and header values kept in events

std::string Clip(std::string_view s) { return std::string(s.substr(0, kMaxText)); }

}  // namespace

SessionEvents::SessionEvents(const SessionInfo& info, SmtpSink* sink) : info_(info), sink_(sink) {
  const uint16_t port = info.flow.server_port;
  protocol_ = (info.implicit_tls || port == 465) ? "smtps" : port == 587 ? "submission" : "smtp";
  ts_ = info.flow.first_seen;
  packet_ = info.flow.first_packet;
}

void SessionEvents::SetPacket(Timestamp ts, int64_t packet) {
  ts_ = ts;
  if (packet != packet_) {
    packet_ = packet;
    index_ = 0;
  }
}

Event SessionEvents::Make(EventKind kind) {
  Event e;
  Fill(e, kind);
  return e;
}

std::unique_ptr<Event> SessionEvents::MakeNew(EventKind kind) {
  auto e = std::make_unique<Event>();
  Fill(*e, kind);
  return e;
}

void SessionEvents::Fill(Event& e, EventKind kind) {
  e.ts = ts_;
  e.source = info_.source;
  e.origin = info_.origin;
  e.origin.packet = packet_;
  e.origin.index = index_++;
  e.protocol = protocol_;
  e.session = info_.flow.id;
  e.client_ip = info_.flow.client_ip;
  e.client_port = info_.flow.client_port;
  e.server_ip = info_.flow.server_ip;
  e.server_port = info_.flow.server_port;
  e.kind = kind;
}

void SessionEvents::Emit(Event&& event) { sink_->OnEvent(std::move(event)); }

void SessionEvents::SessionStart() {
  Event e = Make(EventKind::kSessionStart);
  e.ts = info_.flow.first_seen;
  Emit(std::move(e));
}

void SessionEvents::SessionEnd(stream::EndState state, int64_t bytes_c2s, int64_t bytes_s2c,
                               int64_t gaps) {
  Event e = Make(EventKind::kSessionEnd);
  e.duration_s = static_cast<double>(ts_ - info_.flow.first_seen) / 1e6;
  if (*e.duration_s < 0) e.duration_s = 0.0;
  e.bytes_c2s = bytes_c2s;
  e.bytes_s2c = bytes_s2c;
  e.gaps = gaps;
  e.state = EndStateText(state);
  Emit(std::move(e));
}

void SessionEvents::Gap(const char* direction, uint64_t bytes) {
  Event e = Make(EventKind::kGap);
  e.direction = direction;
  e.bytes = static_cast<int64_t>(bytes);
  Emit(std::move(e));
}

void SessionEvents::Helo(std::string_view name, bool esmtp) {
  Event e = Make(EventKind::kHelo);
  e.helo = Clip(name);
  e.esmtp = esmtp;
  Emit(std::move(e));
}

void SessionEvents::Tls(const char* how, std::string_view sni) {
  Event e = Make(EventKind::kTls);
  e.how = how ? how : "starttls";
  e.sni = Clip(sni);
  Emit(std::move(e));
}

void SessionEvents::Auth(const AuthDecoder& auth, const char* outcome, int code) {
  Event e = Make(EventKind::kAuth);
  e.mechanism = auth.mechanism();
  e.user = auth.user();
  e.outcome = outcome;
  if (code > 0) e.code = code;
  if (auth.mechanism() != "CRAM-MD5") e.secret_fp = auth.secret_fp();
  Emit(std::move(e));
}

void SessionEvents::Reply(int code, std::string_view text, std::string_view command) {
  Event e = Make(EventKind::kReply);
  e.code = code;
  e.enhanced = std::string(EnhancedStatusCode(text));
  e.text = Clip(text);
  e.command = std::string(command);
  Emit(std::move(e));
}

void SessionEvents::ApplyHeader(Event& m, std::string_view name, std::string_view value) {
  if (name == "FROM") {
    m.header_from = Clip(DecodeHeaderText(value));
  } else if (name == "TO" || name == "CC") {
    auto& list = name == "TO" ? m.to : m.cc;
    for (std::string& a : SplitAddressList(value)) {
      if (list.size() >= 1000) break;
      list.push_back(Clip(DecodeHeaderText(a)));
    }
  } else if (name == "SUBJECT") {
    m.subject = Clip(DecodeHeaderText(value));
  } else if (name == "MESSAGE-ID") {
    m.msg_id = Clip(value);
  } else if (name == "X-MAILER" || name == "USER-AGENT" || name == "X-USER-AGENT") {
    m.user_agent = Clip(DecodeHeaderText(value));
  } else if (name == "DATE") {
    m.date = Clip(value);
  } else if (name == "RECEIVED") {
    if (m.received.size() < 100) m.received.push_back(Clip(value));
  } else if (name == "REPLY-TO") {
    m.reply_to = Clip(DecodeHeaderText(value));
  } else if (name == "IN-REPLY-TO") {
    m.in_reply_to = Clip(value);
  } else if (name == "X-ORIGINATING-IP") {
    if (auto ip = FirstIpAddress(value)) m.x_originating_ip = ip->ToString();
  }
}

}  // namespace mxir::smtp
