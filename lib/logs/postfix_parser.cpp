#include "logs/postfix_parser.h"

#include <functional>

#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

// A Postfix queue id: 5+ letters/digits followed by ": " (short hex ids and long ids alike).
bool SplitQueueId(std::string_view msg, std::string_view* id, std::string_view* rest) {
  size_t i = 0;
  while (i < msg.size() && i < 20) {
    char c = msg[i];
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      ++i;
    } else {
      break;
    }
  }
  if (i < 5 || i + 1 >= msg.size() || msg[i] != ':' || msg[i + 1] != ' ') return false;
  *id = msg.substr(0, i);
  *rest = msg.substr(i + 2);
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// "... from host[ip]" (or "[ip]:port" for postscreen) after `marker`.
bool ClientAfter(std::string_view msg, std::string_view marker, std::optional<IpAddress>* ip,
                 int* port) {
  auto rest = After(msg, marker);
  if (!rest) return false;
  std::string_view name;
  size_t used = 0;
  return ParseHostIp(*rest, &name, ip, port, &used);
}

// "auth=0/1" -> successes 0, attempts 1.
bool AuthStats(std::string_view stats, int* ok, int* total) {
  auto v = Field(stats, "auth=");
  if (!v) return false;
  size_t slash = v->find('/');
  auto a = ParseInt(v->substr(0, slash));
  if (!a) return false;
  *ok = static_cast<int>(*a);
  *total = *ok;
  if (slash != std::string_view::npos) {
    auto b = ParseInt(v->substr(slash + 1));
    if (!b) return false;
    *total = static_cast<int>(*b);
  }
  return true;
}

}  // namespace

std::string_view PostfixProtocol(std::string_view program) {
  size_t first = program.find('/');
  size_t last = program.rfind('/');
  if (first == std::string_view::npos || first == last) return "smtp";
  std::string_view middle = program.substr(first + 1, last - first - 1);
  if (Contains(middle, "submission") || Contains(middle, "587")) return "submission";
  if (Contains(middle, "smtps") || Contains(middle, "465")) return "smtps";
  return "smtp";
}

Event PostfixParser::Base(const LogRecord& rec, EventKind kind, const Session* s) const {
  Event e = MakeEvent(rec, "postfix", kind);
  if (s != nullptr) {
    e.session = s->id;
    e.client_ip = s->ip;
    e.client_port = s->port;
    e.protocol = s->protocol;
  } else {
    e.protocol = std::string(PostfixProtocol(rec.program));
  }
  return e;
}

PostfixParser::Session& PostfixParser::SessionFor(const LogRecord& rec, bool fresh) {
  uint64_t key = std::hash<std::string_view>()(rec.host) * 31 +
                 std::hash<std::string_view>()(rec.program) * 7 +
                 std::hash<std::string_view>()(rec.pid);
  auto it = sessions_.find(key);
  if (it != sessions_.end() && !fresh) return it->second;
  if (it == sessions_.end() && sessions_.size() >= kMaxOpen) {
    sessions_.erase(sessions_.begin());
    ++dropped_;
  }
  Session& s = sessions_[key];
  s = Session{};
  std::string id = "postfix:";
  id.append(rec.host).append(":").append(rec.pid).append(":");
  id += std::to_string(rec.ts.seconds());
  // The same pid can serve several connections in one second: number them (in file order, so
  // the ids are the same on every read of the file).
  id.push_back('.');
  id += std::to_string(++serial_);
  s.id = std::move(id);
  s.protocol = std::string(PostfixProtocol(rec.program));
  return s;
}

PostfixParser::Message& PostfixParser::MessageFor(const LogRecord& rec, std::string_view queue_id) {
  std::string key(rec.host);
  key.push_back(' ');
  key.append(queue_id);
  auto it = messages_.find(key);
  if (it != messages_.end()) return it->second;
  if (messages_.size() >= kMaxOpen) {
    messages_.erase(messages_.begin());
    ++dropped_;
  }
  Message& m = messages_[key];
  m.first = rec.ts;
  m.has_first = true;
  return m;
}

LineOutcome PostfixParser::Parse(const LogRecord& rec, EventSink& sink) {
  if (!StartsWith(rec.program, "postfix")) return LineOutcome::kNotMine;
  std::string_view program = rec.program;
  size_t slash = program.rfind('/');
  std::string_view service = slash == std::string_view::npos ? program : program.substr(slash + 1);
  std::string_view msg = rec.message;
  if (service == "postscreen") return ParsePostscreen(rec, msg, sink);
  std::string_view queue_id, rest;
  bool has_queue = SplitQueueId(msg, &queue_id, &rest) && queue_id != "NOQUEUE" &&
                   queue_id != "warning" && queue_id != "statistics";
  if (service == "smtpd") {
    if (has_queue) return ParseQueueLine(rec, service, queue_id, rest, sink);
    return ParseSmtpd(rec, msg, sink);
  }
  if (has_queue) return ParseQueueLine(rec, service, queue_id, rest, sink);
  // pickup, master, anvil, scache, tlsmgr statistics and similar: Postfix's, without events.
  return LineOutcome::kUnderstood;
}

bool PostfixParser::ParseReject(const LogRecord& rec, std::string_view msg, Session* s,
                                EventSink& sink) {
  // "reject: RCPT from host[ip]: 554 5.7.1 <x>: Relay access denied; from=<a> to=<b> proto=..."
  std::string_view body = msg;
  if (!Consume(&body, "reject: ") && !Consume(&body, "milter-reject: ")) return false;
  size_t sp = body.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view command = body.substr(0, sp);
  std::optional<IpAddress> ip;
  int port = -1;
  auto after_from = After(body, " from ");
  if (!after_from) return false;
  std::string_view name;
  size_t used = 0;
  if (!ParseHostIp(*after_from, &name, &ip, &port, &used)) return false;
  std::string_view reply = after_from->substr(used);
  Consume(&reply, ":");
  reply = Trim(reply);
  Event e = Base(rec, EventKind::kReply, s);
  e.client_ip = ip;
  if (port >= 0) e.client_port = port;
  int code = 0;
  std::string_view enhanced, text;
  if (ParseReply(reply, &code, &enhanced, &text)) {
    e.code = code;
    e.enhanced = std::string(enhanced);
    size_t semi = text.rfind("; from=");
    if (semi == std::string_view::npos) semi = text.rfind("; proto=");
    std::string_view tail = semi == std::string_view::npos ? std::string_view() : text.substr(semi);
    e.text = std::string(semi == std::string_view::npos ? text : text.substr(0, semi));
    if (auto from = Field(tail, "from=")) e.mail_from = std::string(*from);
    if (auto to = Field(tail, "to=")) e.rcpt_to = std::string(*to);
    if (auto helo = Field(tail, "helo=")) e.helo = std::string(*helo);
  } else {
    e.text = std::string(reply);
  }
  e.command = std::string(command);
  sink.Emit(std::move(e));
  return true;
}

LineOutcome PostfixParser::ParseSmtpd(const LogRecord& rec, std::string_view msg, EventSink& sink) {
  if (Consume(&msg, "connect from ")) {
    Session& s = SessionFor(rec, true);
    std::string_view name;
    size_t used = 0;
    ParseHostIp(msg, &name, &s.ip, &s.port, &used);
    sink.Emit(Base(rec, EventKind::kSessionStart, &s));
    return LineOutcome::kUnderstood;
  }
  Session& s = SessionFor(rec, false);
  if (Consume(&msg, "disconnect from ")) {
    std::string_view name;
    size_t used = 0;
    if (ParseHostIp(msg, &name, &s.ip, &s.port, &used)) msg.remove_prefix(used);
    std::string_view stats = Trim(msg);
    int ok = 0, total = 0;
    if (AuthStats(stats, &ok, &total)) {
      for (int i = s.auth_failures; i < total - ok && i < 1000; ++i) {
        Event a = Base(rec, EventKind::kAuth, &s);
        a.outcome = "failure";
        a.reason = "from disconnect statistics";
        sink.Emit(std::move(a));
      }
      for (int i = s.auth_successes; i < ok && i < 1000; ++i) {
        Event a = Base(rec, EventKind::kAuth, &s);
        a.outcome = "success";
        a.user = s.user;
        a.reason = "from disconnect statistics";
        sink.Emit(std::move(a));
      }
    }
    Event e = Base(rec, EventKind::kSessionEnd, &s);
    e.state = "closed";
    e.text = std::string(stats);
    sink.Emit(std::move(e));
    sessions_.erase(std::hash<std::string_view>()(rec.host) * 31 +
                    std::hash<std::string_view>()(rec.program) * 7 +
                    std::hash<std::string_view>()(rec.pid));
    return LineOutcome::kUnderstood;
  }
  Consume(&msg, "NOQUEUE: ");
  if (StartsWith(msg, "reject: ") || StartsWith(msg, "milter-reject: ")) {
    return ParseReject(rec, msg, &s, sink) ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
  }
  if (StartsWith(msg, "reject_warning: ") || StartsWith(msg, "filter: ") ||
      StartsWith(msg, "discard: ") || StartsWith(msg, "hold: ")) {
    return LineOutcome::kUnderstood;
  }
  // Protocol errors: "lost connection after X from", "timeout after X from",
  // "improper command pipelining after X from", "too many errors after X from".
  for (std::string_view what : {"lost connection after ", "timeout after ",
                                "improper command pipelining after ", "too many errors after "}) {
    if (!StartsWith(msg, what)) continue;
    std::string_view rest = msg.substr(what.size());
    Event e = Base(rec, EventKind::kReply, &s);
    e.command = std::string(UpTo(rest, " "));
    ClientAfter(rest, " from ", &e.client_ip, &e.client_port);
    if (e.client_ip && !s.ip) s.ip = e.client_ip;
    e.text = std::string(Trim(UpTo(msg, " from ")));
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Consume(&msg, "warning: ")) {
    std::string_view name;
    std::optional<IpAddress> ip;
    int port = -1;
    size_t used = 0;
    if (ParseHostIp(msg, &name, &ip, &port, &used) && Contains(msg, "authentication failed")) {
      // "host[ip]: SASL LOGIN authentication failed: reason[, sasl_username=u]"
      std::string_view rest = msg.substr(used);
      Consume(&rest, ": ");
      if (!s.ip) {
        s.ip = ip;
        s.port = port;
      }
      Event e = Base(rec, EventKind::kAuth, &s);
      e.client_ip = ip;
      if (port >= 0) e.client_port = port;
      if (Consume(&rest, "SASL ")) e.mechanism = Upper(UpTo(rest, " "));
      std::string_view reason = Trim(After(rest, "authentication failed:").value_or(""));
      if (auto user = Field(reason, "sasl_username=")) {
        e.user = std::string(*user);
        reason = Trim(UpTo(reason, ", sasl_username="));
      }
      if (reason == "Invalid authentication mechanism") {
        e.kind = EventKind::kReply;
        e.command = "AUTH";
        e.code = 535;
        e.text = std::string(reason);
        sink.Emit(std::move(e));
        return LineOutcome::kUnderstood;
      }
      // The base64 "UGFzc3dvcmQ6" is only the "Password:" prompt of AUTH LOGIN.
      if (!reason.empty() && reason != "UGFzc3dvcmQ6" && reason != "Password:") {
        e.reason = std::string(reason);
      }
      if (Contains(reason, "Connection lost to authentication server")) {
        e.outcome = "unknown";  // the server failed, not the password
      } else {
        e.outcome = "failure";
        e.code = 535;
        ++s.auth_failures;
      }
      sink.Emit(std::move(e));
      return LineOutcome::kUnderstood;
    }
    // Rate limits of anvil: "Connection rate limit exceeded: 31 from host[ip] for service smtpd".
    if (Contains(msg, " limit exceeded: ")) {
      Event e = Base(rec, EventKind::kReply, &s);
      ClientAfter(msg, " from ", &e.client_ip, &e.client_port);
      e.code = StartsWith(msg, "Connection") ? 421 : 450;
      e.text = std::string(UpTo(msg, ":"));
      sink.Emit(std::move(e));
      return LineOutcome::kUnderstood;
    }
    // "hostname X does not resolve to address IP": the client's DNS does not match.
    if (StartsWith(msg, "hostname ") && Contains(msg, " does not resolve to address ")) {
      Event e = Base(rec, EventKind::kReply, &s);
      std::string_view addr = *After(msg, " does not resolve to address ");
      e.client_ip = ParseIp(UpTo(UpTo(addr, ":"), " "));
      e.command = "CONNECT";
      e.text = "hostname does not resolve to address";
      sink.Emit(std::move(e));
      return LineOutcome::kUnderstood;
    }
    return LineOutcome::kUnderstood;  // other warnings: configuration, TLS, DNS noise
  }
  if (StartsWith(msg, "Anonymous TLS connection") || StartsWith(msg, "Trusted TLS connection") ||
      StartsWith(msg, "Verified TLS connection") || StartsWith(msg, "Untrusted TLS connection") ||
      StartsWith(msg, "SSL_accept error") || StartsWith(msg, "NOQUEUE: client=") ||
      StartsWith(msg, "proxy-accept") || StartsWith(msg, "proxy-reject")) {
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kNotUnderstood;
}

LineOutcome PostfixParser::ParsePostscreen(const LogRecord& rec, std::string_view msg,
                                           EventSink& sink) {
  Consume(&msg, "NOQUEUE: ");
  if (StartsWith(msg, "reject: ")) {
    return ParseReject(rec, msg, nullptr, sink) ? LineOutcome::kUnderstood
                                                : LineOutcome::kNotUnderstood;
  }
  // Tests failed by the client: each is an abuse signal worth a reply event.
  for (std::string_view what :
       {"PREGREET ", "HANGUP ", "COMMAND TIME LIMIT ", "COMMAND COUNT LIMIT ",
        "COMMAND LENGTH LIMIT ", "COMMAND PIPELINING ", "BARE NEWLINE ", "NON-SMTP COMMAND ",
        "DNSBL rank "}) {
    if (!StartsWith(msg, what)) continue;
    Event e = Base(rec, EventKind::kReply, nullptr);
    e.client_ip = FindBracketIp(msg);
    e.text = std::string(Trim(what));
    if (auto after = After(msg, " after ")) {
      std::string_view cmd = UpTo(*after, " ");
      if (!cmd.empty() && cmd[0] >= 'A' && cmd[0] <= 'Z') e.command = std::string(cmd);
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;  // CONNECT, PASS NEW/OLD, DISCONNECT, WHITELISTED, ...
}

void PostfixParser::EmitMessage(const LogRecord& rec, Message& m, std::string_view queue_id,
                                EventSink& sink) {
  Event e = MakeEvent(rec, "postfix", EventKind::kMessage);
  if (m.has_first) e.ts = m.first;
  e.session = m.session;
  e.protocol = m.protocol.empty() ? "smtp" : m.protocol;
  e.client_ip = m.ip;
  e.client_port = m.client_port;
  e.user = m.user;
  e.mail_from = m.from;
  e.recipients = m.recipients;
  if (m.size >= 0) e.size = m.size;
  e.msg_id = m.msg_id;
  e.accepted = true;
  e.queue_id = std::string(queue_id);
  sink.Emit(std::move(e));
}

LineOutcome PostfixParser::ParseQueueLine(const LogRecord& rec, std::string_view service,
                                          std::string_view queue_id, std::string_view msg,
                                          EventSink& sink) {
  if (service == "smtpd" && Consume(&msg, "client=")) {
    Session& s = SessionFor(rec, false);
    Message& m = MessageFor(rec, queue_id);
    std::string_view name;
    size_t used = 0;
    std::optional<IpAddress> ip;
    int port = -1;
    if (ParseHostIp(msg, &name, &ip, &port, &used)) {
      if (!s.ip) s.ip = ip;
      m.ip = ip;
      m.client_port = port >= 0 ? port : s.port;
    }
    m.session = s.id;
    m.protocol = s.protocol;
    auto user = Field(msg, "sasl_username=");
    if (user) {
      m.user = std::string(*user);
      if (s.user != m.user || s.auth_successes == 0) {
        s.user = m.user;
        ++s.auth_successes;
        Event a = Base(rec, EventKind::kAuth, &s);
        if (auto method = Field(msg, "sasl_method=")) a.mechanism = Upper(*method);
        a.user = m.user;
        a.outcome = "success";
        a.code = 235;
        sink.Emit(std::move(a));
      }
    }
    return LineOutcome::kUnderstood;
  }
  if (service == "cleanup") {
    if (auto id = Field(msg, "message-id=")) {
      MessageFor(rec, queue_id).msg_id = std::string(*id);
      return LineOutcome::kUnderstood;
    }
    return LineOutcome::kUnderstood;  // header/body checks, milter notes
  }
  if (service == "qmgr") {
    if (msg == "removed") {
      std::string key(rec.host);
      key.push_back(' ');
      key.append(queue_id);
      auto it = messages_.find(key);
      if (it != messages_.end()) {
        EmitMessage(rec, it->second, queue_id, sink);
        messages_.erase(it);
      }
      return LineOutcome::kUnderstood;
    }
    if (StartsWith(msg, "from=")) {
      Message& m = MessageFor(rec, queue_id);
      if (auto from = Field(msg, "from=")) m.from = std::string(*from);
      if (auto size = Field(msg, "size=")) {
        if (auto v = ParseInt(*size)) m.size = *v;
      }
      return LineOutcome::kUnderstood;
    }
    return LineOutcome::kUnderstood;
  }
  if (service == "smtpd") {  // "QUEUEID: reject: ..." after the message got an id
    Session& s = SessionFor(rec, false);
    return ParseReject(rec, msg, &s, sink) ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
  }
  // Delivery agents: smtp, lmtp, local, virtual, pipe, discard, error, relay, ...
  if (StartsWith(msg, "to=")) {
    auto status = Field(msg, "status=");
    if (!status) return LineOutcome::kNotUnderstood;
    Message& m = MessageFor(rec, queue_id);
    Event e = MakeEvent(rec, "postfix", EventKind::kDelivery);
    e.session = m.session;
    e.protocol = m.protocol.empty() ? "smtp" : m.protocol;
    e.client_ip = m.ip;
    e.queue_id = std::string(queue_id);
    e.rcpt_to = std::string(Field(msg, "to=").value_or(""));
    e.relay = std::string(Field(msg, "relay=").value_or(""));
    e.status = std::string(*status);
    if (auto dsn = Field(msg, "dsn=")) e.enhanced = std::string(*dsn);
    // "(host mx[1.2.3.4] said: 550 5.7.1 text (in reply to RCPT TO command))" or "(text)".
    std::string_view detail = After(msg, "status=").value_or("");
    detail = After(detail, " (").value_or("");
    if (!detail.empty() && detail.back() == ')') detail.remove_suffix(1);
    if (auto said = After(detail, " said: ")) {
      int code = 0;
      std::string_view enh, text;
      if (ParseReply(*said, &code, &enh, &text)) {
        e.code = code;
        if (!enh.empty()) e.enhanced = std::string(enh);
        e.text = std::string(UpTo(text, " (in reply to "));
      } else {
        e.text = std::string(*said);
      }
    } else {
      int code = 0;
      std::string_view enh, text;
      if (ParseReply(detail, &code, &enh, &text)) e.code = code;
      e.text = std::string(detail);
    }
    bool known = false;
    for (const auto& r : m.recipients) known = known || r == e.rcpt_to;
    if (!known && m.recipients.size() < 10000) m.recipients.push_back(e.rcpt_to);
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;  // bounce notices, "sender non-delivery notification", ...
}

}  // namespace mxir::logs
