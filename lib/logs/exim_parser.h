// EximParser: Exim's mainlog and rejectlog (own file or syslog, with or without "[pid]" and
// message ids, journald exports with the stamp after the tag).
//
// "<=" starts a message (sender, client, A= authenticated user, size, id=), "=>", "->", "**"
// and "==" are deliveries (sent, sent, bounced, deferred), "Completed" emits the `message`
// event with its recipients; "X authenticator failed for ... (set_id=user)" is an auth failure
// (mechanism from the authenticator's name), "A=authenticator:user" on "<=" an auth success
// (Exim logs no other line for one); rejects, dropped connections, protocol and
// synchronization errors, sender-verify failures, DROP in ACL, local_scan and SpamAssassin
// verdicts are `reply` events with the client from the last "H=". At most kMaxOpen messages
// are kept open.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "logs/log_parser.h"

namespace mxir::logs {

class EximParser final : public LogParser {
 public:
  static constexpr size_t kMaxOpen = 100000;
  const char* name() const override { return "exim"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;
  void Finish(EventSink& sink) override;

 private:
  struct Message {
    Event event;  // the message event being built
  };
  LineOutcome ParseTransfer(const LogRecord& rec, std::string_view id, char what,
                            std::string_view rest, EventSink& sink);
  // Connection-level lines (log_selector +smtp_connection): sessions keyed by client ip:port.
  LineOutcome ParseConnection(const LogRecord& rec, std::string_view m, EventSink& sink);
  // Puts e in the session of its client ip:port when that connection's line was seen.
  void JoinConnection(Event& e) const;
  std::unordered_map<std::string, Message> messages_;
  std::unordered_map<std::string, SharedString> connections_;
  uint64_t serial_ = 0;
};

// True for an Exim message id ("1Ai79e-0000Dq-8i", or the longer 4.97 form).
bool IsEximMessageId(std::string_view token);

}  // namespace mxir::logs
