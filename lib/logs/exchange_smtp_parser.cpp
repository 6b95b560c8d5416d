// exchange-smtp: Exchange Server SMTP Receive and Send protocol logs (reference §5.1).
//
// Columns: date-time, connector-id, session-id, sequence-number, local-endpoint,
// remote-endpoint, event (+ connect, - disconnect, < received, > sent, * information), data,
// context. Sessions are rebuilt by session-id (sessions interleave in one file).
//
// Receive logs (we are the server): + -> session_start; EHLO/HELO -> helo; STARTTLS answered
// 220 -> tls; AUTH ... then "Inbound AUTH LOGIN failed because of LogonDenied" and
// "User Name: x" -> auth failure (error_code LogonDenied, mechanism from the AUTH command, the
// 535 reply's code when it follows); a 235 reply -> auth success, its account from the
// "*,DOMAIN\user,authenticated" line before it (the Windows logon name); MAIL/RCPT -> mail/rcpt
// with the reply's code; other 4xx/5xx replies -> reply; - -> session_end. Send logs (we are the
// client, the remote endpoint is the server): the remote's 4xx/5xx replies -> reply events
// (client_ip is our side), which the remote_* detectors read.
#include <unordered_map>

#include "logs/exchange_log.h"
#include "logs/hosted_parsers.h"

namespace mxir::logs {

namespace {

constexpr const char* kSource = "exchange-smtp";

const char* ProtocolForPort(int port) {
  switch (port) {
    case 587:
      return "submission";
    case 465:
      return "smtps";
    default:
      return "smtp";
  }
}

std::string UpperWord(std::string_view s) {
  std::string w(UpTo(Trim(s), " "));
  for (char& c : w) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return w;
}

std::string AngleAddress(std::string_view s) {
  size_t lt = s.find('<');
  if (lt == std::string_view::npos) return std::string(Trim(s.substr(s.find(':') + 1)));
  size_t gt = s.find('>', lt);
  return std::string(s.substr(lt + 1, gt == std::string_view::npos ? gt : gt - lt - 1));
}

class ExchangeSmtpParser final : public ExchangeLogParser {
 public:
  const char* name() const override { return kSource; }
  void Finish(EventSink& sink) override {
    for (auto& [id, s] : sessions_) FlushPending(s, sink);
    sessions_.clear();
  }

 protected:
  bool IsMyLogType(std::string_view type) const override {
    send_ = KeyIs(type, "smtp send protocol log");
    return send_ || KeyIs(type, "smtp receive protocol log");
  }
  bool LooksLikeMyFields(std::string_view f) const override {
    return Contains(f, "session-id") && Contains(f, "sequence-number") &&
           Contains(f, "remote-endpoint");
  }
  void OnFields() override {
    c_time_ = Column("date-time");
    c_session_ = Column("session-id");
    c_local_ = Column("local-endpoint");
    c_remote_ = Column("remote-endpoint");
    c_event_ = Column("event");
    c_data_ = Column("data");
    c_context_ = Column("context");
  }

  bool Row(EventSink& sink) override {
    auto ts = ParseHostedTime(Get(c_time_));
    if (!ts) return false;
    std::string_view id = Get(c_session_);
    std::string_view ev = Get(c_event_);
    std::string_view data = Get(c_data_);
    std::string_view context = Get(c_context_);
    Session& s = sessions_[std::string(id)];
    if (s.id.empty()) {
      s.id = SharedString(std::string(id));
      std::optional<IpAddress> local, remote;
      int local_port = -1, remote_port = -1;
      ParseClientEndpoint(Get(c_local_), &local, &local_port);
      ParseClientEndpoint(Get(c_remote_), &remote, &remote_port);
      s.send = send_;
      if (send_) {  // we are the client
        s.client = local;
        s.client_port = local_port;
        s.server = remote;
        s.server_port = remote_port;
      } else {
        s.client = remote;
        s.client_port = remote_port;
        s.server = local;
        s.server_port = local_port;
      }
    }
    s.ts = *ts;
    if (ev == "+") {
      sink.Emit(Make(s, EventKind::kSessionStart));
    } else if (ev == "-") {
      FlushPending(s, sink);
      Event e = Make(s, EventKind::kSessionEnd);
      e.state = "closed";
      sink.Emit(std::move(e));
      sessions_.erase(std::string(id));
    } else if (ev == "*") {
      // "*,CONTOSO\bob,authenticated": the account of the login the 235 reply then accepts.
      if (KeyIs(Trim(context), "authenticated") && !Trim(data).empty()) {
        s.auth_user.assign(Trim(data));
      } else {
        Info(s, Trim(context.empty() ? data : context), sink);
      }
    } else if ((ev == "<" && !s.send) || (ev == ">" && s.send)) {
      Command(s, data, sink);
    } else if ((ev == ">" && !s.send) || (ev == "<" && s.send)) {
      Reply(s, data, sink);
    }
    return true;
  }

 private:
  struct Session {
    SharedString id;
    Timestamp ts;
    bool send = false;
    std::optional<IpAddress> client, server;
    int client_port = -1, server_port = -1;
    std::string auth_mechanism;  // AUTH command waiting for its result
    std::string auth_user;       // from the "authenticated" line, for the 235 that follows
    std::string last_command;
    bool starttls = false;
    std::optional<Event> pending;  // waits for the reply code or the "User Name:" line
    bool pending_is_auth_failure = false;
  };

  Event Make(const Session& s, EventKind kind) const {
    Event e;
    e.ts = s.ts;
    e.source = kSource;
    e.kind = kind;
    e.session = s.id;
    e.client_ip = s.client;
    e.client_port = s.client_port;
    e.server_ip = s.server;
    e.server_port = s.server_port;
    e.protocol = ProtocolForPort(s.server_port);
    return e;
  }

  void FlushPending(Session& s, EventSink& sink) {
    if (s.pending) sink.Emit(std::move(*s.pending));
    s.pending.reset();
    s.pending_is_auth_failure = false;
  }

  void Command(Session& s, std::string_view data, EventSink& sink) {
    FlushPending(s, sink);
    std::string verb = UpperWord(data);
    s.last_command = verb;
    if (verb == "EHLO" || verb == "HELO") {
      Event e = Make(s, EventKind::kHelo);
      e.helo.assign(Trim(Trim(data).substr(4)));
      e.esmtp = verb == "EHLO";
      sink.Emit(std::move(e));
    } else if (verb == "STARTTLS") {
      s.starttls = true;
    } else if (verb == "AUTH") {
      s.auth_user.clear();
      std::string_view rest = Trim(Trim(data).substr(4));
      s.auth_mechanism = UpperWord(rest);
    } else if (verb == "MAIL") {
      Event e = Make(s, EventKind::kMail);
      e.mail_from = AngleAddress(data);
      s.pending = std::move(e);
    } else if (verb == "RCPT") {
      Event e = Make(s, EventKind::kRcpt);
      e.rcpt_to = AngleAddress(data);
      s.pending = std::move(e);
    }
  }

  void Reply(Session& s, std::string_view data, EventSink& sink) {
    int code = 0;
    std::string_view enhanced, text;
    if (!ParseReply(Trim(data), &code, &enhanced, &text)) return;
    if (s.pending) {
      s.pending->code = code;
      if (s.pending->kind == EventKind::kRcpt) s.pending->accepted = code / 100 == 2;
      if (s.pending->kind == EventKind::kAuth) s.pending->text.assign(text);
      if (!s.pending_is_auth_failure) {
        FlushPending(s, sink);
        return;
      }
      return;  // an auth failure may still get its "User Name:" line
    }
    if (s.last_command == "STARTTLS" && code == 220 && s.starttls) {
      Event e = Make(s, EventKind::kTls);
      e.how = "starttls";
      sink.Emit(std::move(e));
      s.starttls = false;
      return;
    }
    if (!s.auth_mechanism.empty() && (code == 235 || code == 535 || code == 454)) {
      Event e = Make(s, EventKind::kAuth);
      e.mechanism = s.auth_mechanism;
      e.outcome = code == 235 ? "success" : "failure";
      if (code == 235) e.user = std::move(s.auth_user);
      s.auth_user.clear();
      e.code = code;
      e.enhanced.assign(enhanced);
      e.text.assign(text);
      s.auth_mechanism.clear();
      sink.Emit(std::move(e));
      return;
    }
    if (code >= 400) {
      Event e = Make(s, EventKind::kReply);
      e.code = code;
      e.enhanced.assign(enhanced);
      e.text.assign(text);
      e.command = s.last_command;
      sink.Emit(std::move(e));
    }
  }

  void Info(Session& s, std::string_view text, EventSink& sink) {
    // "Inbound AUTH LOGIN failed because of LogonDenied"
    if (auto because = After(text, "failed because of ")) {
      if (s.pending_is_auth_failure) return;  // the same failure logged twice
      FlushPending(s, sink);
      Event e = Make(s, EventKind::kAuth);
      std::string_view rest = text;
      Consume(&rest, "Inbound ");
      Consume(&rest, "AUTH ");
      std::string mech = UpperWord(rest);
      e.mechanism = mech.empty() || mech == "FAILED" ? s.auth_mechanism : mech;
      e.outcome = "failure";
      e.error_code.assign(Trim(*because));
      e.reason.assign(text);
      s.auth_mechanism.clear();
      s.pending = std::move(e);
      s.pending_is_auth_failure = true;
      return;
    }
    if (auto user = After(text, "User Name: ")) {
      if (s.pending && s.pending->kind == EventKind::kAuth) {
        s.pending->user.assign(Trim(*user));
        FlushPending(s, sink);
      }
      return;
    }
  }

  mutable bool send_ = false;
  int c_time_ = -1, c_session_ = -1, c_local_ = -1, c_remote_ = -1, c_event_ = -1, c_data_ = -1,
      c_context_ = -1;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace

std::unique_ptr<LogParser> MakeExchangeSmtpParser() {
  return std::make_unique<ExchangeSmtpParser>();
}

}  // namespace mxir::logs
