// SmtpSession: the public API and the input half of SmtpSession::Impl — bytes to lines, lines to
// commands or replies, DATA and BDAT bodies, TLS bytes, gaps and the end of the connection.
#include "smtp/smtp_session.h"

#include <algorithm>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/secret_fingerprint.h"
#include "smtp/session_impl.h"

namespace mxir::smtp {

using stream::Direction;

// ---------------------------------------------------------------------------------------------

void SmtpSession::Impl::ClientBytes(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    if (tls && starttls_unconfirmed) {
      p = ProbeAfterStartTls(p, end);
      if (starttls_unconfirmed) return;  // the first line is not complete yet
      continue;
    }
    if (tls || disabled) {
      if (tls) TlsBytes(Direction::kClientToServer, p, static_cast<size_t>(end - p));
      return;
    }
    if (bdat_chunk) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(bdat_remaining, static_cast<uint64_t>(end - p)));
      const uint8_t* chunk_end = p + n;
      std::string_view line;
      bool truncated;
      while (body_lines.Next(&p, chunk_end, &line, &truncated)) BodyLine(line);
      p = chunk_end;
      bdat_remaining -= n;
      if (message) message->size = message->size.value_or(0) + static_cast<int64_t>(n);
      if (bdat_remaining == 0) {
        bdat_chunk = false;
        if (bdat_last_chunk) {
          if (body_lines.TakePartial(&line)) BodyLine(line);
          EndBody(true);
          AttachMessage();
        }
      }
      continue;
    }
    if (in_data && !after_gap && (!headers || !headers->in_headers()) &&
        !client_lines.has_partial()) {
      p = SkipBodyLines(p, end);
      if (p == end) return;
    }
    std::string_view line;
    bool truncated;
    if (!client_lines.Next(&p, end, &line, &truncated)) return;
    ClientLine(line, truncated);
  }
}

const uint8_t* SmtpSession::Impl::SkipBodyLines(const uint8_t* p, const uint8_t* end) {
  // What ClientLine does with such a line, without LineSplitter: the CRs before the LF and a
  // stuffed dot do not count, the CRLF does. Lines LineSplitter would cut, an unfinished line
  // and the "." line are left to the general path.
  int64_t size = 0;
  const uint8_t* line = p;  // where the current line starts
  // Takes the line ending at `lf`; false when it is for the general path.
  const auto take = [&](const uint8_t* lf) {
    const size_t n = static_cast<size_t>(lf - line);
    if (n > limits.max_line_bytes) return false;
    size_t len = n;
    while (len > 0 && line[len - 1] == '\r') --len;
    if (len > 0 && line[0] == '.') {
      if (len == 1) return false;  // the end of the data
      --len;
    }
    size += static_cast<int64_t>(len) + 2;
    line = lf + 1;
    return true;
  };
  const uint8_t* q = p;  // bytes before q hold no LF after `line`
  bool stopped = false;
#if defined(__SSE2__)
  // Line feeds found 16 bytes at a time: bodies are mostly short lines, and a memchr call per
  // line cost more than the scan itself.
  const __m128i newline = _mm_set1_epi8('\n');
  for (; !stopped && end - q >= 16; q += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newline)));
    for (; mask != 0; mask &= mask - 1) {
      if (!take(q + __builtin_ctz(mask))) {
        stopped = true;
        break;
      }
    }
  }
#endif
  while (!stopped) {
    const auto* lf =
        static_cast<const uint8_t*>(std::memchr(q, '\n', static_cast<size_t>(end - q)));
    if (lf == nullptr || !take(lf)) break;
    q = lf + 1;
  }
  if (message) message->size = message->size.value_or(0) + size;
  return line;
}

void SmtpSession::Impl::ServerBytes(const uint8_t* p, const uint8_t* end) {
  // The server spoke while the client's first line after STARTTLS/220 was unfinished: no command
  // was complete for it to answer, so this is not plaintext SMTP.
  if (tls && starttls_unconfirmed && !starttls_held.empty()) StartTlsConfirmed();
  while (p < end) {
    if (tls || disabled) return;
    std::string_view line;
    bool truncated;
    if (!server_lines.Next(&p, end, &line, &truncated)) return;
    ServerLine(line, truncated);
  }
}

namespace {

// "VERB" or "VERB arg..." followed by CRLF: a known command word first, then only printable text
// (8-bit allowed for SMTPUTF8 arguments), no other control bytes.
bool CommandShaped(std::string_view line) {
  if (line.size() < 6 || line.substr(line.size() - 2) != "\r\n") return false;
  line.remove_suffix(2);
  for (char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  const Command cmd = ParseCommand(line);
  return cmd.verb != Verb::kUnknown && cmd.word.data() == line.data();
}

}  // namespace

void SmtpSession::Impl::StartTlsConfirmed() {
  starttls_unconfirmed = false;
  std::string held;
  held.swap(starttls_held);
  if (!held.empty()) {
    TlsBytes(Direction::kClientToServer, reinterpret_cast<const uint8_t*>(held.data()),
             held.size());
  }
}

const uint8_t* SmtpSession::Impl::ProbeAfterStartTls(const uint8_t* p, const uint8_t* end) {
  if (starttls_held.empty()) {
    // A TLS record starts with its content type (20-23, a handshake is 22), an SSLv2 hello with
    // a byte >= 0x80: never a letter, while every SMTP command starts with one.
    const uint8_t first = *p;
    const bool letter = (first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z');
    if (!letter) {
      starttls_unconfirmed = false;
      return p;
    }
  }
  const size_t room = kMaxStartTlsProbe - starttls_held.size();
  const size_t avail = static_cast<size_t>(end - p);
  const auto* lf = static_cast<const uint8_t*>(std::memchr(p, '\n', std::min(room, avail)));
  const uint8_t* stop = lf ? lf + 1 : p + std::min(room, avail);
  starttls_held.append(reinterpret_cast<const char*>(p), static_cast<size_t>(stop - p));
  if (!lf) {
    if (starttls_held.size() >= kMaxStartTlsProbe) StartTlsConfirmed();  // no line: not SMTP
    return stop;
  }
  if (!CommandShaped(starttls_held)) {
    StartTlsConfirmed();
    return stop;
  }
  starttls_unconfirmed = false;
  tls = false;
  tls_event_sent = true;
  Count("smtp.starttls_not_negotiated");
  events.Tls("starttls-not-negotiated", "");
  std::string held;
  held.swap(starttls_held);
  ClientBytes(reinterpret_cast<const uint8_t*>(held.data()),
              reinterpret_cast<const uint8_t*>(held.data()) + held.size());
  SecureWipe(held);  // the line may be an AUTH with its secret
  return stop;
}

void SmtpSession::Impl::TlsBytes(Direction dir, const uint8_t* p, size_t n) {
  if (dir != Direction::kClientToServer || tls_event_sent) return;
  if (hello.Feed(p, n) == ClientHelloReader::State::kNeedMore) return;
  if (hello.state() == ClientHelloReader::State::kNotTls) Count("smtp.decode_errors.not_tls");
  tls_event_sent = true;
  events.Tls(tls_how, hello.sni());
}

void SmtpSession::Impl::ClientLine(std::string_view line, bool truncated) {
  if (truncated) Count("smtp.decode_errors.line_too_long");
  if (after_gap) return;  // unknown whether command or data: wait for the server (Zeek)
  if (in_data) {
    if (line == ".") {
      EndBody(true);
      PendingCommand cmd;
      cmd.verb = Verb::kEndOfData;
      cmd.txn = std::move(txn);  // the transaction ends here; a later refused MAIL has none
      txn.reset();
      if (message) {
        cmd.event = std::move(message);
        message.reset();
      }
      PushCommand(std::move(cmd));
      rows.Touch(now);
      trans_mail_seen = trans_rcpt_seen = false;
      return;
    }
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);  // dot-unstuffing
    if (message) message->size = message->size.value_or(0) + static_cast<int64_t>(line.size()) + 2;
    BodyLine(line);
    return;
  }
  if (in_auth) {
    PendingCommand cmd;
    cmd.verb = Verb::kAuthAnswer;
    if (auth) auth->OnResponse(line);
    client_lines.WipeLast();
    PushCommand(std::move(cmd));
    rows.Touch(now);
    return;
  }
  if (line.empty()) return;
  OnCommand(ParseCommand(line));
}

void SmtpSession::Impl::ServerLine(std::string_view line, bool truncated) {
  if (truncated) Count("smtp.decode_errors.line_too_long");
  auto reply = ParseReplyLine(line);
  if (!reply) {
    Count("smtp.decode_errors.bad_reply");
    return;
  }
  if (pending_reply_code != 0 && reply->code != pending_reply_code) {
    // A multi-line reply broke off: close it as it stands, then start a new one (Zeek too).
    Count("smtp.decode_errors.reply_code_mismatch");
    if (answering) OnReplyComplete(*answering, pending_reply_code);
    answering.reset();
    reply_text.clear();
    pending_reply_code = 0;
  }
  if (pending_reply_code == 0) OnNewReply(reply->code);
  pending_reply_code = reply->continued ? reply->code : 0;
  rows.OnReplyLine(reply->code, reply->text, now);
  if (!reply_text.empty()) reply_text += ' ';
  if (reply_text.size() < 4096) reply_text.append(reply->text.substr(0, 4096));

  const Verb verb = answering ? answering->verb : Verb::kUnknown;
  if (verb == Verb::kEndOfData ||
      (!reply->continued && verb == Verb::kBdat && bdat_last_observed)) {
    bdat_last_observed = false;
    rows.OnMessageAnswered(now);
  }
  if (!reply->continued) {
    if (answering)
      OnReplyComplete(*answering, reply->code);
    else if (reply->code >= 400)
      events.Reply(reply->code, reply_text, "");
    answering.reset();
    reply_text.clear();
  }
}

// ---------------------------------------------------------------------------------------------

SmtpSession::SmtpSession(SessionInfo info, SmtpSink* sink, const SecretFingerprinter* fingerprinter,
                         Counters* counters, const SmtpLimits& limits)
    : impl_(std::make_unique<Impl>(std::move(info), sink, fingerprinter, counters, limits)) {
  Impl& s = *impl_;
  s.Count("smtp.sessions");
  s.now = s.info.flow.first_seen;
  s.events.SessionStart();
  // Zeek pairs the server's banner with the connection itself.
  PendingCommand greeting;
  greeting.verb = Verb::kGreeting;
  s.pending.push_back(std::move(greeting));
  if (s.info.implicit_tls) {
    s.tls = true;
    s.tls_how = "implicit";
  }
}

SmtpSession::~SmtpSession() = default;

size_t SmtpSession::memory() const {
  // Each command waiting for its reply holds a heap Event (about 1.4 KB with its strings).
  constexpr size_t kPendingBytes = sizeof(Event) + 512;
  return (impl_->pending.size() + (impl_->answering ? 1 : 0)) * kPendingBytes;
}

void SmtpSession::OnData(stream::Direction dir, const uint8_t* data, size_t len, Timestamp ts,
                         int64_t packet) {
  Impl& s = *impl_;
  s.now = ts;
  s.events.SetPacket(ts, packet);
  if (dir == Direction::kClientToServer) {
    s.bytes_c2s += static_cast<int64_t>(len);
    s.ClientBytes(data, data + len);
  } else {
    s.bytes_s2c += static_cast<int64_t>(len);
    s.ServerBytes(data, data + len);
  }
}

void SmtpSession::OnGap(stream::Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) {
  Impl& s = *impl_;
  s.now = ts;
  s.events.SetPacket(ts, packet);
  ++s.gaps;
  s.Count("smtp.gaps");
  s.events.Gap(dir == Direction::kClientToServer ? "c2s" : "s2c", bytes);
  // Client bytes lost right after STARTTLS/220: what follows cannot be told apart any more.
  if (s.tls && s.starttls_unconfirmed && dir == Direction::kClientToServer) s.StartTlsConfirmed();
  if (s.tls || s.disabled) return;
  // Zeek's Undelivered(): end a message in progress, forget the pipeline, and read client lines
  // as neither commands nor data until the server's next reply shows where we are.
  if (s.in_data || s.bdat_chunk) {
    s.bdat_chunk = false;
    s.bdat_remaining = 0;
    s.EndBody(false);
  }
  s.FlushPending();
  s.answering.reset();
  s.pending_reply_code = 0;
  s.in_auth = false;
  s.client_lines.Reset();
  s.server_lines.Reset();
  s.after_gap = true;
}

void SmtpSession::OnEnd(stream::EndState state, Timestamp ts, int64_t /*packet*/) {
  Impl& s = *impl_;
  s.now = ts;
  s.events.SetTime(ts);
  if (s.answering) {
    s.pending.push_front(std::move(*s.answering));
    s.answering.reset();
  }
  // Commands sent before the body (MAIL, RCPT, DATA) complete first, so the message sees the
  // transaction as the server did; then the cut-off body goes out as a truncated message.
  const bool cut_in_body = (s.in_data || s.bdat_chunk) && s.message != nullptr;
  if (!cut_in_body && s.message) s.EndBody(false);
  s.FlushPending();
  if (cut_in_body) s.EmitTruncatedMessage();
  if (s.tls && s.starttls_unconfirmed) s.StartTlsConfirmed();  // no complete first line
  if (s.tls && !s.tls_event_sent) {
    s.tls_event_sent = true;
    s.events.Tls(s.tls_how, "");
  }
  s.rows.Finish();
  if (s.rows.truncations() > 0) s.counters->Add("smtp.addresses_truncated", s.rows.truncations());
  s.events.SessionEnd(state, s.bytes_c2s, s.bytes_s2c, s.gaps);
}

}  // namespace mxir::smtp
