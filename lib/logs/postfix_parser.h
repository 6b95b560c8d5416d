// PostfixParser: Postfix's syslog lines (smtpd, postscreen, cleanup, qmgr, smtp/lmtp and the
// other delivery agents) as Events, joined into sessions and messages.
//
// smtpd lines are joined by (host, program, pid) into one session from "connect" to
// "disconnect" (session_start, auth success/failure, reply for rejects and protocol errors,
// session_end with the command statistics in `text`). A "disconnect" whose auth=S/T counts show
// more attempts than lines seen emits the missing ones (user unknown, reason "from disconnect
// statistics"), so logs that only keep the summary still count. Queue ids join smtpd's
// "client=", cleanup's "message-id=", qmgr's "from= size= nrcpt=" and the deliveries
// ("to= relay= dsn= status=") into one message: each delivery is a `delivery` event of the
// client's session, and "removed" emits the `message` event (client, sasl user, sender,
// recipients, size, message-id). Messages qmgr took that have no "removed" line by the end of
// the input (deferred, held) are emitted by Finish() with state "queued", their provenance the
// last line about the queue id. postscreen's CONNECT / PASS / DISCONNECT lines are sessions of
// their own. State is bounded: at most kMaxOpen sessions and messages are
// kept; the oldest are dropped (counted by the caller through dropped()).
//
// Files: postfix_parser.cpp (dispatch, smtpd sessions and rejects), postfix_queue.cpp (queue
// ids into messages), postfix_postscreen.cpp (postscreen).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "logs/log_parser.h"

namespace mxir::logs {

class PostfixParser final : public LogParser {
 public:
  static constexpr size_t kMaxOpen = 200000;

  const char* name() const override { return "postfix"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;
  void Finish(EventSink& sink) override;
  int64_t dropped() const { return dropped_; }

 private:
  struct Session {
    SharedString id;  // shared by the session's events
    std::optional<IpAddress> ip;
    int port = -1;
    std::string protocol;
    std::string user;
    int auth_failures = 0, auth_successes = 0;
    std::string end_state;  // "reset" after "lost connection", "timeout" after "timeout after"
  };
  struct Message {
    SharedString session;
    std::string protocol, user, from, msg_id;
    // Headers cleanup logged (header_checks INFO/WARN): From, To, Cc, Subject as written.
    std::string header_from, subject;
    std::vector<std::string> to, cc;
    std::optional<IpAddress> ip;
    int client_port = -1;
    int64_t size = -1;
    Timestamp first;
    bool has_first = false;
    std::vector<std::string> recipients;
    bool in_queue = false;   // qmgr took it (or cleanup put it on hold): it is in the queue
    std::string note;        // why it is still there: the last deferral, "held", ...
    int64_t last_line = -1;  // the last line about this queue id (its provenance at the end)
    // Its first line (smtpd client=, pickup, cleanup) was in this input; otherwise the input
    // began after the message was queued (a rotated log's earlier file has its start).
    bool started = false;
  };

  LineOutcome ParseSmtpd(const LogRecord& rec, std::string_view msg, EventSink& sink);
  LineOutcome ParsePostscreen(const LogRecord& rec, std::string_view msg, EventSink& sink);
  LineOutcome ParseQueueLine(const LogRecord& rec, std::string_view service,
                             std::string_view queue_id, std::string_view msg, EventSink& sink);
  LineOutcome ParseCleanup(const LogRecord& rec, std::string_view queue_id, std::string_view msg,
                           EventSink& sink);
  bool ParseReject(const LogRecord& rec, std::string_view msg, Session* s, EventSink& sink,
                   const Message* m = nullptr, std::string_view queue_id = {});
  // "proxy-reject: END-OF-MESSAGE: 554 5.7.1 text; from=<> to=<> proto=ESMTP helo=<>".
  bool ParseProxyReject(const LogRecord& rec, std::string_view msg, Session* s, EventSink& sink,
                        const Message* m, std::string_view queue_id);
  void Forget(const LogRecord& rec, std::string_view queue_id);  // a message that never queued
  Session& SessionFor(const LogRecord& rec, bool fresh);
  Message& MessageFor(const LogRecord& rec, std::string_view queue_id);
  Event Base(const LogRecord& rec, EventKind kind, const Session* s) const;
  void EmitMessage(const LogRecord& rec, Message& m, std::string_view queue_id, EventSink& sink);
  // postscreen handles many clients in one process: its sessions are keyed by client ip:port.
  SharedString PostscreenSession(const LogRecord& rec, std::string_view client, bool fresh);

  std::unordered_map<uint64_t, Session> sessions_;
  std::unordered_map<std::string, Message> messages_;
  std::unordered_map<std::string, SharedString> postscreen_;
  int64_t dropped_ = 0;
  uint64_t serial_ = 0;
};

// "postfix/submission/smtpd" -> "submission", "postfix/smtps/smtpd" -> "smtps", else "smtp".
std::string_view PostfixProtocol(std::string_view program);

}  // namespace mxir::logs
