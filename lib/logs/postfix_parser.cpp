#include "logs/postfix_parser.h"

#include <functional>

#include "core/ascii.h"
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

// Where the "; from=<a> to=<b> proto=ESMTP helo=<h>" list Postfix appends to a reject starts
// (npos when absent). Lines without a sender (VRFY, ETRN, CONNECT) start at "to=" or "proto=".
size_t TailStart(std::string_view text) {
  for (std::string_view key : {"; from=<", "; to=<", "; proto=", "; helo=<"}) {
    size_t at = text.rfind(key);
    if (at != std::string_view::npos) return at;
  }
  return std::string_view::npos;
}

// Fills code, enhanced code, text and the tail's sender, recipient, protocol and HELO from a
// reject's reply ("554 5.7.1 text; from=<a> to=<b> proto=ESMTP helo=<h>"). Milters and
// before-queue filters may give only an enhanced code ("5.7.1 Command rejected"): the reply code
// is then the class's (550 or 450).
void ApplyReply(std::string_view reply, Event* e) {
  reply = Trim(reply);
  const size_t tail_at = TailStart(reply);
  std::string_view tail =
      tail_at == std::string_view::npos ? std::string_view() : reply.substr(tail_at + 2);
  std::string_view head = tail_at == std::string_view::npos ? reply : reply.substr(0, tail_at);
  int code = 0;
  std::string_view enhanced, text;
  if (ParseReply(head, &code, &enhanced, &text)) {
    e->code = code;
    e->enhanced = std::string(enhanced);
    e->text = std::string(text);
  } else if (head.size() >= 5 && (head[0] == '4' || head[0] == '5') && head[1] == '.') {
    std::string_view enh = UpTo(head, " ");
    e->code = (head[0] - '0') * 100 + 50;
    e->enhanced = std::string(enh);
    e->text = std::string(Trim(head.substr(enh.size())));
  } else {
    e->text = std::string(head);
  }
  if (tail.empty()) return;
  if (auto from = Field(tail, "from=")) e->mail_from = std::string(*from);
  if (auto to = Field(tail, "to=")) e->rcpt_to = std::string(*to);
  if (auto helo = Field(tail, "helo=")) e->helo = std::string(*helo);
  if (auto proto = Field(tail, "proto=")) e->esmtp = Contains(*proto, "ESMTP");
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
  // anvil's "statistics: max connection rate 12/60s for (smtp:192.0.2.1) at Dec  6 21:14:00"
  // (and "max connection count", "max message rate", ...): a client's peak, per service.
  if (service == "anvil" && StartsWith(msg, "statistics: max ")) {
    std::string_view what = msg.substr(12);
    auto peer = After(what, " for (");
    if (!peer) return LineOutcome::kUnderstood;  // "max cache size": no client
    // "(smtp:192.0.2.1)", "(127.0.0.1:25:192.0.2.1)" (a listener's address as the service),
    // "(smtp:2001:db8::1)": the client is the first tail after a ':' that is an address.
    std::string_view ident = UpTo(*peer, ")");
    Event e = MakeEvent(rec, "postfix", EventKind::kReply);
    size_t colon = 0;
    while ((colon = ident.find(':', colon)) != std::string_view::npos) {
      if ((e.client_ip = ParseIp(ident.substr(colon + 1)))) break;
      ++colon;
    }
    if (!e.client_ip) return LineOutcome::kUnderstood;
    std::string_view svc = ident.substr(0, colon);
    if (size_t port = svc.rfind(':'); port != std::string_view::npos) svc = svc.substr(port + 1);
    e.protocol = Contains(svc, "submission") || svc == "587" ? "submission"
                 : Contains(svc, "smtps") || svc == "465"    ? "smtps"
                                                             : "smtp";
    e.command = "CONNECT";
    e.text = std::string(UpTo(what, " for ("));
    e.reason = "anvil statistics";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  // pickup, master, scache, tlsmgr statistics and similar: Postfix's, without events.
  return LineOutcome::kUnderstood;
}

bool PostfixParser::ParseReject(const LogRecord& rec, std::string_view msg, Session* s,
                                EventSink& sink, const Message* m, std::string_view queue_id) {
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
  Event e = Base(rec, EventKind::kReply, s);
  if (m != nullptr) {
    e.session = m->session;
    if (!m->protocol.empty()) e.protocol = m->protocol;
    e.user = m->user;
    if (m->client_port >= 0) e.client_port = m->client_port;
  }
  e.client_ip = ip;
  if (port >= 0) e.client_port = port;
  if (command == "header" || command == "body") {
    // cleanup's header/body checks: "reject: header Subject: x from host[ip]; from=<a> to=<b>
    // proto=ESMTP helo=<h>: 5.7.1 text".
    size_t colon = reply.find(": ");
    std::string_view tail = colon == std::string_view::npos ? reply : reply.substr(0, colon);
    std::string_view answer = colon == std::string_view::npos ? "" : reply.substr(colon + 2);
    ApplyReply(std::string(answer) + std::string(tail), &e);
  } else {
    Consume(&reply, ":");
    ApplyReply(reply, &e);
  }
  if (m != nullptr) {
    if (e.mail_from.empty()) e.mail_from = m->from;
    if (!m->recipients.empty()) e.recipients = m->recipients;
  }
  if (!queue_id.empty()) e.queue_id = std::string(queue_id);
  e.command = std::string(command);
  sink.Emit(std::move(e));
  return true;
}

bool PostfixParser::ParseProxyReject(const LogRecord& rec, std::string_view msg, Session* s,
                                     EventSink& sink, const Message* m, std::string_view queue_id) {
  if (!Consume(&msg, "proxy-reject: ")) return false;
  size_t colon = msg.find(": ");
  if (colon == std::string_view::npos) return false;
  Event e = Base(rec, EventKind::kReply, s);
  if (m != nullptr) {
    if (!m->session.empty()) e.session = m->session;
    if (!m->protocol.empty()) e.protocol = m->protocol;
    if (m->ip) e.client_ip = m->ip;
    if (m->client_port >= 0) e.client_port = m->client_port;
    e.user = m->user;
  }
  e.command = std::string(msg.substr(0, colon));
  ApplyReply(msg.substr(colon + 2), &e);
  if (m != nullptr) {
    if (e.mail_from.empty()) e.mail_from = m->from;
    if (!m->recipients.empty()) e.recipients = m->recipients;
  }
  if (!queue_id.empty()) e.queue_id = std::string(queue_id);
  e.reason = "before-queue content filter";
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
    e.state = s.end_state.empty() ? "closed" : s.end_state;
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
  if (StartsWith(msg, "proxy-reject: ")) {
    return ParseProxyReject(rec, msg, &s, sink, nullptr, {}) ? LineOutcome::kUnderstood
                                                             : LineOutcome::kNotUnderstood;
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
    // The session ends without QUIT: its session_end says how.
    s.end_state = what == "timeout after "           ? "timeout"
                  : what == "lost connection after " ? "reset"
                                                     : "";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  // "SSL_accept error from host[ip]: -1" / "...: lost connection": the TLS handshake failed.
  if (StartsWith(msg, "SSL_accept error from ")) {
    Event e = Base(rec, EventKind::kReply, &s);
    ClientAfter(msg, "SSL_accept error from ", &e.client_ip, &e.client_port);
    if (e.client_ip && !s.ip) {
      s.ip = e.client_ip;
      s.port = e.client_port;
    }
    e.command = e.protocol == "smtps" ? "CONNECT" : "STARTTLS";
    e.text = "TLS handshake failed";
    e.reason = std::string(Trim(msg));
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Consume(&msg, "warning: ")) {
    // "non-SMTP command from host[ip]: GET / HTTP/1.1": a protocol error by that client.
    if (auto rest = After(msg, "non-SMTP command from "); rest && StartsWith(msg, "non-SMTP")) {
      Event e = Base(rec, EventKind::kReply, &s);
      std::string_view name;
      size_t used = 0;
      if (ParseHostIp(*rest, &name, &e.client_ip, &e.client_port, &used)) {
        if (!s.ip) {
          s.ip = e.client_ip;
          s.port = e.client_port;
        }
        std::string_view line = rest->substr(used);
        Consume(&line, ": ");
        e.reason = std::string(Trim(line).substr(0, 200));
        e.command = std::string(UpTo(Trim(line), " ").substr(0, 32));
      }
      e.text = "non-SMTP command";
      sink.Emit(std::move(e));
      return LineOutcome::kUnderstood;
    }
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
      if (Consume(&rest, "SASL ")) e.mechanism = AsciiUpper(UpTo(rest, " "));
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
      StartsWith(msg, "SSL_accept error") || StartsWith(msg, "client=") ||
      StartsWith(msg, "proxy-accept")) {
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kNotUnderstood;
}

}  // namespace mxir::logs
