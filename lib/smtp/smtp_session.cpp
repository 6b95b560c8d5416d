#include "smtp/smtp_session.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "smtp/auth_decoder.h"
#include "smtp/line_splitter.h"
#include "smtp/message_headers.h"
#include "smtp/protocol_lines.h"
#include "smtp/session_events.h"
#include "smtp/text_codecs.h"
#include "smtp/tls_client_hello.h"
#include "smtp/zeek_addresses.h"
#include "smtp/zeek_row_builder.h"

namespace mxir::smtp {

using capture::Direction;

namespace {

// One mail transaction as the events see it; shared by the commands that belong to it, so
// pipelined replies find the right transaction.
struct Transaction {
  std::string mail_from;
  std::vector<std::string> recipients;  // accepted (or unanswered) RCPT TO addresses
};

// A command waiting for its reply. Events that need the reply code wait here.
struct PendingCommand {
  Verb verb = Verb::kUnknown;
  bool bdat_last = false;
  std::optional<Event> event;  // mail, rcpt, message: completed with the reply
  std::shared_ptr<Transaction> txn;
};

std::string FirstAddress(std::string_view arg) {
  auto addrs = ExtractEmailAddresses(arg);
  if (!addrs.empty()) return std::move(addrs.front());
  // "MAIL FROM:<>" (null sender) or an address without '@': take what is between < and >.
  const size_t lt = arg.find('<');
  const size_t gt = arg.find('>', lt == std::string_view::npos ? 0 : lt);
  if (lt != std::string_view::npos && gt != std::string_view::npos) {
    return std::string(arg.substr(lt + 1, gt - lt - 1));
  }
  return {};
}

}  // namespace

struct SmtpSession::Impl {
  Impl(SessionInfo info_in, SmtpSink* sink, const SecretFingerprinter* fp, Counters* counters,
       const SmtpLimits& limits)
      : info(std::move(info_in)),
        limits(limits),
        events(info, sink),
        rows(info.flow, sink, limits.max_addresses),
        fingerprinter(fp),
        counters(counters),
        client_lines(limits.max_line_bytes),
        server_lines(limits.max_line_bytes),
        body_lines(limits.max_line_bytes) {}

  // --- input ---
  void ClientBytes(const uint8_t* p, const uint8_t* end);
  void ServerBytes(const uint8_t* p, const uint8_t* end);
  void ClientLine(std::string_view line, bool truncated);
  void ServerLine(std::string_view line, bool truncated);
  void TlsBytes(Direction dir, const uint8_t* p, size_t n);

  // --- protocol steps ---
  void OnCommand(const Command& cmd, std::string_view line);
  void OnNewReply(int code);  // first line of a reply: pair it with its command
  void OnReplyComplete(PendingCommand& cmd, int code);
  void PushCommand(PendingCommand cmd);
  void BeginBody();
  void BodyLine(std::string_view line);
  void EndBody(bool complete);
  void DrainHeaders();
  void StartTls(const char* how);
  void FinishAuth(int code);
  void InvalidTransaction(const char* why);
  void FlushPending();  // unanswered commands: their events go out without a code
  // Completes and emits the event a command carries; `code` 0 when no reply was seen.
  void CompleteEvent(PendingCommand& cmd, int code);
  void AttachMessage();  // the body of a BDAT LAST is complete: its pending command takes it
  void Count(std::string_view what) { counters->Add(what); }

  SessionInfo info;
  SmtpLimits limits;
  SessionEvents events;
  ZeekRowBuilder rows;
  const SecretFingerprinter* fingerprinter;
  Counters* counters;
  LineSplitter client_lines, server_lines, body_lines;

  // Protocol state (Zeek's SMTP analyser states, reduced to what changes parsing).
  std::deque<PendingCommand> pending;
  std::optional<PendingCommand> answering;  // the command the current multi-line reply answers
  int pending_reply_code = 0;               // a "250-" reply is in progress
  bool in_data = false;                     // DATA body lines
  uint64_t bdat_remaining = 0;              // BDAT chunk bytes still to come
  bool bdat_chunk = false, bdat_last_chunk = false;
  bool in_auth = false;  // the server sent 334: client lines answer it
  bool after_gap = false;
  bool gap_recovery = false;  // the first reply after a gap was seen; no command since
  bool tls = false;
  bool disabled = false;  // too many invalid transactions (Zeek disables its analyser)
  ClientHelloReader hello;
  bool tls_event_sent = false;
  const char* tls_how = nullptr;

  // Zeek's mail transaction validation.
  bool trans_mail_seen = false, trans_rcpt_seen = false, bdat_last_observed = false;
  int invalid_transactions = 0;

  // The transaction, for events.
  std::shared_ptr<Transaction> txn;
  std::optional<Event> message;  // being built while the body is read
  std::optional<MessageHeaderParser> headers;
  int header_oversized_counted = 0;
  std::optional<AuthDecoder> auth;
  std::string auth_user;   // after a successful AUTH
  std::string reply_text;  // lines of the reply in progress, joined

  Timestamp now;
  int64_t bytes_c2s = 0, bytes_s2c = 0, gaps = 0;
};

// ---------------------------------------------------------------------------------------------

void SmtpSession::Impl::ClientBytes(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
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
    std::string_view line;
    bool truncated;
    if (!client_lines.Next(&p, end, &line, &truncated)) return;
    ClientLine(line, truncated);
  }
}

void SmtpSession::Impl::ServerBytes(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    if (tls || disabled) return;
    std::string_view line;
    bool truncated;
    if (!server_lines.Next(&p, end, &line, &truncated)) return;
    ServerLine(line, truncated);
  }
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
      cmd.txn = txn;
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
  OnCommand(ParseCommand(line), line);
}

void SmtpSession::Impl::ServerLine(std::string_view line, bool truncated) {
  if (truncated) Count("smtp.decode_errors.line_too_long");
  auto reply = ParseReplyLine(line);
  if (!reply) {
    Count("smtp.decode_errors.bad_reply");
    return;
  }
  if (pending_reply_code != 0 && reply->code != pending_reply_code) {
    Count("smtp.decode_errors.reply_code_mismatch");
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

void SmtpSession::Impl::PushCommand(PendingCommand cmd) {
  if (pending.size() >= limits.max_pending_commands) {
    Count("smtp.decode_errors.too_many_pending_commands");
    FlushPending();
  }
  pending.push_back(std::move(cmd));
}

void SmtpSession::Impl::FlushPending() {
  for (PendingCommand& cmd : pending) {
    CompleteEvent(cmd, 0);
    if (cmd.verb == Verb::kAuth || cmd.verb == Verb::kAuthAnswer) FinishAuth(0);
  }
  pending.clear();
}

void SmtpSession::Impl::CompleteEvent(PendingCommand& cmd, int code) {
  if (!cmd.event) return;
  Event e = std::move(*cmd.event);
  cmd.event.reset();
  const bool answered = code > 0;
  const bool ok = code >= 200 && code < 300;
  if (answered) e.code = code;
  if (cmd.verb == Verb::kRcpt) {
    if (answered) e.accepted = ok;
    if ((ok || !answered) && cmd.txn && cmd.txn->recipients.size() < limits.max_addresses) {
      cmd.txn->recipients.push_back(e.rcpt_to);
    }
  } else if (cmd.verb == Verb::kEndOfData || cmd.verb == Verb::kBdat) {
    if (answered) e.accepted = ok;
    if (cmd.txn) e.recipients = cmd.txn->recipients;
    if (!auth_user.empty()) e.user = auth_user;
  }
  events.Emit(std::move(e));
}

void SmtpSession::Impl::AttachMessage() {
  if (!message) return;
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    if (it->verb == Verb::kBdat && it->bdat_last && !it->event) {
      it->event = std::move(message);
      message.reset();
      return;
    }
  }
  // The reply came before the chunk ended (unusual): emit without a code.
  PendingCommand cmd;
  cmd.verb = Verb::kBdat;
  cmd.txn = txn;
  cmd.event = std::move(message);
  message.reset();
  CompleteEvent(cmd, 0);
}

void SmtpSession::Impl::OnCommand(const Command& cmd, std::string_view line) {
  if (cmd.verb == Verb::kUnknown) {
    Count("smtp.decode_errors.unknown_command");
    return;  // Zeek neither queues nor reports it
  }
  rows.Touch(now);
  gap_recovery = false;
  PendingCommand pc;
  pc.verb = cmd.verb;
  switch (cmd.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
      rows.OnHelo(cmd.arg, now);
      events.Helo(cmd.arg, cmd.verb == Verb::kEhlo);
      break;
    case Verb::kMail:
      if (StartsWithNoCase(cmd.arg, "FROM:")) {
        rows.OnMailFrom(cmd.arg, now);
        trans_mail_seen = true;
        trans_rcpt_seen = false;
      }
      txn = std::make_shared<Transaction>();
      txn->mail_from = FirstAddress(cmd.arg.substr(std::min<size_t>(cmd.arg.size(), 5)));
      pc.event = events.Make(EventKind::kMail);
      pc.event->mail_from = txn->mail_from;
      break;
    case Verb::kRcpt: {
      if (StartsWithNoCase(cmd.arg, "TO:")) {
        rows.OnRcptTo(cmd.arg, now);
        trans_rcpt_seen = true;
        if (!trans_mail_seen) InvalidTransaction("rcpt to missing mail from");
      }
      if (!txn) txn = std::make_shared<Transaction>();
      pc.txn = txn;
      pc.event = events.Make(EventKind::kRcpt);
      pc.event->rcpt_to = FirstAddress(cmd.arg.substr(std::min<size_t>(cmd.arg.size(), 3)));
      break;
    }
    case Verb::kData:
      if (!trans_rcpt_seen) InvalidTransaction("data missing rcpt to");
      BeginBody();
      in_data = true;
      break;
    case Verb::kBdat: {
      if (!trans_rcpt_seen) InvalidTransaction("data missing rcpt to");
      const bool says_last = cmd.arg.size() >= 5 && cmd.arg.substr(cmd.arg.size() - 5) == " LAST";
      if (says_last) {
        trans_mail_seen = trans_rcpt_seen = false;
        bdat_last_observed = true;
      }
      const char* reason = "";
      auto args = ParseBdatArgs(cmd.arg, &reason);
      if (!args) {
        Count("smtp.decode_errors.invalid_bdat");
        break;
      }
      if (!message) BeginBody();
      pc.bdat_last = args->last;
      pc.txn = txn;
      bdat_remaining = args->size;
      bdat_last_chunk = args->last;
      bdat_chunk = args->size > 0;
      if (!bdat_chunk && args->last) {
        EndBody(true);
        pc.event = std::move(message);
        message.reset();
      }
      break;
    }
    case Verb::kRset:
      txn.reset();
      if (message) EndBody(false);
      break;
    case Verb::kAuth: {
      const size_t sp = cmd.arg.find(' ');
      auth.emplace(fingerprinter);
      auth->Start(cmd.arg.substr(0, sp),
                  sp == std::string_view::npos ? std::string_view() : cmd.arg.substr(sp + 1));
      client_lines.WipeLast();
      break;
    }
    default:
      break;
  }
  if (disabled) return;
  PushCommand(std::move(pc));
  (void)line;
}

void SmtpSession::Impl::InvalidTransaction(const char* why) {
  Count("smtp.decode_errors.invalid_transaction");
  (void)why;
  ++invalid_transactions;
  if (limits.max_invalid_mail_transactions > 0 &&
      invalid_transactions > limits.max_invalid_mail_transactions) {
    // Zeek switches its SMTP analyser off for the connection; the open row is still written at
    // the end. We stop decoding likewise (counted) so the Zeek output agrees.
    Count("smtp.disabled_sessions");
    disabled = true;
  }
}

void SmtpSession::Impl::OnNewReply(int code) {
  if (after_gap) {
    after_gap = false;  // Zeek: SMTP_GAP_RECOVERY, the reply answers an unknown command
    gap_recovery = true;
    rows.Touch(now);
  }
  if (!pending.empty()) {
    answering = std::move(pending.front());
    pending.pop_front();
  } else {
    answering.reset();
  }
  const Verb verb = answering ? answering->verb : Verb::kUnknown;
  // Replies that change how the following bytes are read (Zeek's UpdateState).
  switch (verb) {
    case Verb::kData:
      if (code != 354 && in_data) {
        in_data = false;
        EndBody(false);
      }
      break;
    case Verb::kAuth:
    case Verb::kAuthAnswer:
      in_auth = code == 334;
      break;
    case Verb::kStartTls:
    case Verb::kXAnonymousTls:
      if (code == 220) StartTls("starttls");
      break;
    case Verb::kUnknown:
      // A 354 after a gap: the DATA command was lost, the body follows (Zeek does the same).
      if (gap_recovery && code == 354 && !in_data) {
        BeginBody();
        in_data = true;
      }
      break;
    default:
      break;
  }
}

void SmtpSession::Impl::OnReplyComplete(PendingCommand& cmd, int code) {
  switch (cmd.verb) {
    case Verb::kMail:
    case Verb::kRcpt:
      CompleteEvent(cmd, code);
      return;
    case Verb::kEndOfData:
    case Verb::kBdat:
      if (cmd.event) {
        CompleteEvent(cmd, code);
        return;
      }
      break;
    case Verb::kAuth:
    case Verb::kAuthAnswer:
      if (code == 334) {
        if (auth) auth->OnChallenge(reply_text);
        return;
      }
      FinishAuth(code);
      return;
    case Verb::kData:
      if (code == 354) return;
      break;
    default:
      break;
  }
  if (code >= 400) events.Reply(code, reply_text, VerbName(cmd.verb));
}

void SmtpSession::Impl::FinishAuth(int code) {
  if (!auth) return;
  const char* outcome = "unknown";
  if (auth->cancelled()) {
    outcome = "aborted";
  } else if (code == 235) {
    outcome = "success";
    auth_user = auth->user();
  } else if (code >= 400) {
    outcome = "failure";
  }
  if (auth->decode_errors() > 0) Count("smtp.decode_errors.bad_auth_response");
  events.Auth(*auth, outcome, code);
  auth.reset();
  in_auth = false;
}

// ---------------------------------------------------------------------------------------------

void SmtpSession::Impl::BeginBody() {
  if (message) {
    Count("smtp.decode_errors.nested_mail_transaction");
    EndBody(false);
  }
  rows.OnMessageBegin(now);
  message = events.Make(EventKind::kMessage);
  if (txn) message->mail_from = txn->mail_from;
  message->size = 0;
  headers.emplace(limits.max_header_bytes);
  header_oversized_counted = 0;
  body_lines.Reset();
}

void SmtpSession::Impl::BodyLine(std::string_view line) {
  if (!headers || !headers->in_headers()) return;
  headers->OnLine(line);
  DrainHeaders();
}

void SmtpSession::Impl::DrainHeaders() {
  auto& done = headers->completed();
  for (MessageHeader& h : done) {
    rows.OnHeader(h.name, h.value, now);
    if (message) events.ApplyHeader(*message, h.name, h.value);
  }
  done.clear();
  if (headers->oversized() > header_oversized_counted) {
    counters->Add("smtp.decode_errors.header_too_large",
                  headers->oversized() - header_oversized_counted);
    header_oversized_counted = headers->oversized();
  }
}

void SmtpSession::Impl::EndBody(bool complete) {
  in_data = false;
  if (headers) {
    headers->Finish();
    DrainHeaders();
    headers.reset();
  }
  if (!complete) message.reset();  // rejected DATA or cut by a gap: no message
}

void SmtpSession::Impl::StartTls(const char* how) {
  tls = true;
  tls_how = how;
  rows.OnStartTls(now);
  FlushPending();
  client_lines.Reset();
  server_lines.Reset();
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

void SmtpSession::OnData(capture::Direction dir, const uint8_t* data, size_t len, Timestamp ts,
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

void SmtpSession::OnGap(capture::Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) {
  Impl& s = *impl_;
  s.now = ts;
  s.events.SetPacket(ts, packet);
  ++s.gaps;
  s.Count("smtp.gaps");
  s.events.Gap(dir == Direction::kClientToServer ? "c2s" : "s2c", bytes);
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

void SmtpSession::OnEnd(capture::EndState state, Timestamp ts, int64_t packet) {
  Impl& s = *impl_;
  s.now = ts;
  s.events.SetPacket(ts, packet);
  if (s.in_data || s.bdat_chunk || s.message) s.EndBody(false);
  if (s.answering) {
    s.pending.push_front(std::move(*s.answering));
    s.answering.reset();
  }
  s.FlushPending();
  if (s.tls && !s.tls_event_sent) {
    s.tls_event_sent = true;
    s.events.Tls(s.tls_how, "");
  }
  s.rows.Finish();
  if (s.rows.truncations() > 0) s.counters->Add("smtp.addresses_truncated", s.rows.truncations());
  s.events.SessionEnd(state, s.bytes_c2s, s.bytes_s2c, s.gaps);
}

}  // namespace mxir::smtp
