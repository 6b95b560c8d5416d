// SmtpSession::Impl, second half: commands and their replies (pipelining queue, AUTH, envelope,
// DATA/BDAT, STARTTLS), Zeek's transaction rules, and message bodies.
#include <algorithm>
#include <utility>

#include "smtp/session_impl.h"
#include "smtp/zeek_addresses.h"

namespace mxir::smtp {
namespace {

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
  const std::unique_ptr<Event> owned = std::move(cmd.event);
  Event& e = *owned;
  const bool answered = code > 0;
  const bool ok = code >= 200 && code < 300;
  if (answered) e.code = code;
  if (cmd.verb == Verb::kMail) {
    if (cmd.txn) {
      if (answered && !ok) {
        cmd.txn->refused = true;  // only an accepted MAIL starts or changes a transaction
      } else {
        cmd.txn->previous.reset();  // the older transaction is over
      }
    }
  } else if (cmd.verb == Verb::kRcpt) {
    if (answered) e.accepted = ok;
    Transaction* t = Effective(cmd.txn);
    if ((ok || !answered) && t != nullptr && t->recipients.size() < limits.max_addresses) {
      t->recipients.push_back(e.rcpt_to);
    }
  } else if (cmd.verb == Verb::kEndOfData || cmd.verb == Verb::kBdat) {
    if (answered) e.accepted = ok;
    if (cmd.txn) {
      const Transaction* t = Effective(cmd.txn);
      e.mail_from = t != nullptr ? t->mail_from : std::string();
      e.recipients = t != nullptr ? t->recipients : std::vector<std::string>();
    }
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

void SmtpSession::Impl::OnCommand(const Command& cmd) {
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
      {
        auto next = std::make_shared<Transaction>();
        next->previous = std::move(txn);
        txn = std::move(next);
      }
      txn->mail_from = FirstAddress(cmd.arg.substr(std::min<size_t>(cmd.arg.size(), 5)));
      pc.txn = txn;
      pc.event = events.MakeNew(EventKind::kMail);
      pc.event->mail_from = txn->mail_from;
      break;
    case Verb::kRcpt: {
      if (StartsWithNoCase(cmd.arg, "TO:")) {
        rows.OnRcptTo(cmd.arg, now);
        trans_rcpt_seen = true;
        if (!trans_mail_seen) InvalidTransaction("smtp.decode_errors.rcpt_without_mail");
      }
      if (!txn) txn = std::make_shared<Transaction>();
      pc.txn = txn;
      pc.event = events.MakeNew(EventKind::kRcpt);
      pc.event->rcpt_to = FirstAddress(cmd.arg.substr(std::min<size_t>(cmd.arg.size(), 3)));
      break;
    }
    case Verb::kData:
      if (!trans_rcpt_seen) InvalidTransaction("smtp.decode_errors.data_without_rcpt");
      BeginBody();
      in_data = true;
      break;
    case Verb::kBdat: {
      if (!trans_rcpt_seen) InvalidTransaction("smtp.decode_errors.data_without_rcpt");
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
      if (args->last) txn.reset();  // the transaction ends with this chunk
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
}

void SmtpSession::Impl::InvalidTransaction(std::string_view counter) {
  Count(counter);
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
  // AUTH is answered only by 334, 235 or an error: another code (a stray line of a malformed
  // multi-line EHLO reply, say) answers an earlier command, and AUTH keeps waiting, so its
  // exchange decodes however the EHLO reply parsed.
  const bool auth_waits =
      !pending.empty() &&
      (pending.front().verb == Verb::kAuth || pending.front().verb == Verb::kAuthAnswer) &&
      code != 334 && code != 235 && code < 400;
  if (!pending.empty() && !auth_waits) {
    answering = std::move(pending.front());
    pending.pop_front();
  } else {
    if (auth_waits) Count("smtp.decode_errors.reply_not_for_auth");
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
  message = events.MakeNew(EventKind::kMessage);
  if (txn) message->mail_from = txn->mail_from;
  message_txn = txn;
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

void SmtpSession::Impl::EmitTruncatedMessage() {
  if (!message) return;
  in_data = false;
  if (headers) {
    headers->Finish();
    DrainHeaders();
    headers.reset();
  }
  PendingCommand cmd;
  cmd.verb = Verb::kEndOfData;
  cmd.txn = message_txn ? message_txn : txn;
  cmd.event = std::move(message);
  message.reset();
  cmd.event->truncated = true;
  CompleteEvent(cmd, 0);
}

void SmtpSession::Impl::StartTls(const char* how) {
  tls = true;
  tls_how = how;
  starttls_unconfirmed = true;
  rows.OnStartTls(now);
  FlushPending();
  // The line splitters are left as they are: the caller may still hold a view into them, and
  // with `tls` set no further line is read.
}

}  // namespace mxir::smtp
