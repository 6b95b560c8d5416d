// OpenSmtpdParser: OpenSMTPD's syslog lines (program "smtpd") as Events.
//
// Every line of an SMTP session carries the session's 16-hex-digit id: "<id> smtp connected
// address=IP host=NAME" (6.6+; "smtp event=connected ..." in 6.0-6.4) opens it, "smtp
// authentication user=U result=ok|permfail|tempfail" is an auth event, "smtp failed-command
// command=\"...\" result=\"550 ...\"" a reply event, "smtp message ... size=" and "smtp envelope
// ... from=<a> to=<b>" build the message, "smtp disconnected reason=..." closes it. Lines that do
// not name the client take it from the session's "connected" line. The older 5.x wording
// ("smtp-in: New session ... [IP]", "smtp-in: Failed command on session ...") is read too.
// At most kMaxOpen sessions are kept (the oldest dropped).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "logs/log_parser.h"

namespace mxir::logs {

class OpenSmtpdParser final : public LogParser {
 public:
  static constexpr size_t kMaxOpen = 100000;
  const char* name() const override { return "opensmtpd"; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override;
  void Finish(EventSink& sink) override;

 private:
  struct Session {
    SharedString id;
    std::optional<IpAddress> ip;
    std::string user;
    std::string from, msg_id;
    std::vector<std::string> recipients;
    int64_t size = -1;
    bool has_message = false;
    Timestamp message_ts;
    int64_t last_line = -1;  // the last line about the message (its provenance at the end)
  };
  Session& SessionFor(std::string_view id, bool fresh);
  Event Base(const LogRecord& rec, EventKind kind, const Session& s) const;
  void EmitMessage(const LogRecord* rec, Session& s, EventSink& sink);

  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace mxir::logs
