// SmtpSession::Impl: the decoder's state, shared by smtp_session.cpp (input, lines, the public
// API) and session_commands.cpp (commands, replies, transactions, bodies). Internal to lib/smtp.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smtp/auth_decoder.h"
#include "smtp/line_splitter.h"
#include "smtp/message_headers.h"
#include "smtp/protocol_lines.h"
#include "smtp/session_events.h"
#include "smtp/smtp_session.h"
#include "smtp/tls_client_hello.h"
#include "smtp/zeek_row_builder.h"

namespace mxir::smtp {

// One mail transaction as the events see it; shared by the commands that belong to it, so
// pipelined replies find the right transaction.
struct Transaction {
  std::string mail_from;
  std::vector<std::string> recipients;  // accepted (or unanswered) RCPT TO addresses
  // A MAIL the server refused (e.g. a nested MAIL answered 503) starts nothing: the server keeps
  // the transaction that was open before it (`previous`, none after RSET or a finished message),
  // and recipients pipelined after the refused MAIL belong to that one.
  bool refused = false;
  std::shared_ptr<Transaction> previous;
};

// The transaction the server is in when `t` was the client's latest MAIL: `t` itself unless it
// was refused. Null when no MAIL was accepted.
inline Transaction* Effective(const std::shared_ptr<Transaction>& t) {
  Transaction* p = t.get();
  for (int hops = 0; p != nullptr && p->refused && hops < 64; ++hops) p = p->previous.get();
  return p != nullptr && p->refused ? nullptr : p;
}

// A command waiting for its reply. Events that need the reply code wait here.
struct PendingCommand {
  Verb verb = Verb::kUnknown;
  bool bdat_last = false;
  // mail, rcpt, message: completed with the reply. On the heap: an Event is ~1.5 KB, and
  // commands move through the pipeline queue several times.
  std::unique_ptr<Event> event;
  std::shared_ptr<Transaction> txn;
};

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
  // Consumes the complete DATA body lines after the header block that need no more than a size
  // and a look for the end-of-data dot (most of a message's bytes); returns where it stopped.
  const uint8_t* SkipBodyLines(const uint8_t* p, const uint8_t* end);
  void ServerBytes(const uint8_t* p, const uint8_t* end);
  void ClientLine(std::string_view line, bool truncated);
  void ServerLine(std::string_view line, bool truncated);
  void TlsBytes(stream::Direction dir, const uint8_t* p, size_t n);
  // After STARTTLS/220, while the client's first bytes since are undecided: takes client bytes
  // from [p, end) and returns where the caller goes on. A first byte that is not a letter is a
  // TLS record (decided at once, nothing taken). Otherwise bytes are held until the first line is
  // complete: a command-shaped line (a known SMTP verb, printable, CRLF-terminated) means the TLS
  // layer is not there (a decrypted capture, or a man in the middle stripping STARTTLS): decoding
  // goes on as plaintext from the held bytes and a `tls` event says `starttls-not-negotiated`.
  // Anything else, or kMaxStartTlsProbe bytes without a line end, stays TLS.
  const uint8_t* ProbeAfterStartTls(const uint8_t* p, const uint8_t* end);
  // Ends the probe as TLS: the held bytes go to the ClientHello reader.
  void StartTlsConfirmed();
  static constexpr size_t kMaxStartTlsProbe = 1024;

  // --- protocol steps ---
  void OnCommand(const Command& cmd);
  void OnNewReply(int code);  // first line of a reply: pair it with its command
  void OnReplyComplete(PendingCommand& cmd, int code);
  void PushCommand(PendingCommand cmd);
  void BeginBody();
  void BodyLine(std::string_view line);
  void EndBody(bool complete);
  // The input ended inside a DATA or BDAT body: the message goes out with what was seen.
  void EmitTruncatedMessage();
  void DrainHeaders();
  void StartTls(const char* how);
  void FinishAuth(int code);
  // Zeek's mail transaction validation failed; `counter` names why ("smtp.decode_errors.*").
  void InvalidTransaction(std::string_view counter);
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
  // STARTTLS was answered 220 and no client byte has been seen since: the first one tells a TLS
  // record from SMTP text (a decrypted capture, or a man in the middle stripping STARTTLS).
  bool starttls_unconfirmed = false;
  std::string starttls_held;  // the client's bytes since, while undecided (a letter came first)

  // Zeek's mail transaction validation.
  bool trans_mail_seen = false, trans_rcpt_seen = false, bdat_last_observed = false;
  int invalid_transactions = 0;

  // The transaction, for events.
  std::shared_ptr<Transaction> txn;
  std::unique_ptr<Event> message;            // being built while the body is read
  std::shared_ptr<Transaction> message_txn;  // the transaction the body belongs to
  std::optional<MessageHeaderParser> headers;
  int header_oversized_counted = 0;
  std::optional<AuthDecoder> auth;
  std::string auth_user;   // after a successful AUTH
  std::string reply_text;  // lines of the reply in progress, joined

  Timestamp now;
  int64_t bytes_c2s = 0, bytes_s2c = 0, gaps = 0;
};

}  // namespace mxir::smtp
