#include "logs/postfix_parser.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "core/address_list.h"
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

PostfixParser::Message& PostfixParser::MessageFor(const LogRecord& rec, std::string_view queue_id) {
  std::string key(rec.host);
  key.push_back(' ');
  key.append(queue_id);
  auto it = messages_.find(key);
  if (it != messages_.end()) {
    if (rec.line >= 0) it->second.last_line = rec.line;
    return it->second;
  }
  if (messages_.size() >= kMaxOpen) {
    messages_.erase(messages_.begin());
    ++dropped_;
  }
  Message& m = messages_[key];
  m.first = rec.ts;
  m.has_first = true;
  m.last_line = rec.line;
  return m;
}

void PostfixParser::Forget(const LogRecord& rec, std::string_view queue_id) {
  std::string key(rec.host);
  key.push_back(' ');
  key.append(queue_id);
  messages_.erase(key);
}

SharedString PostfixParser::PostscreenSession(const LogRecord& rec, std::string_view client,
                                              bool fresh) {
  std::string key(rec.host);
  key.push_back(' ');
  key.append(client);
  auto it = postscreen_.find(key);
  if (it != postscreen_.end() && !fresh) return it->second;
  if (it == postscreen_.end() && postscreen_.size() >= kMaxOpen) {
    postscreen_.erase(postscreen_.begin());
    ++dropped_;
  }
  std::string id = "postscreen:";
  id.append(rec.host).append(":").append(client).append(":");
  id += std::to_string(rec.ts.seconds());
  id.push_back('.');
  id += std::to_string(++serial_);
  SharedString shared(id);
  postscreen_[key] = shared;
  return shared;
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

LineOutcome PostfixParser::ParsePostscreen(const LogRecord& rec, std::string_view msg,
                                           EventSink& sink) {
  // postscreen names its client "[ip]:port"; the first one in the line is the client.
  auto client_of = [](std::string_view text, Event* e) -> std::string_view {
    size_t open = text.find('[');
    if (open == std::string_view::npos) return {};
    std::string_view name;
    size_t used = 0;
    if (!ParseHostIp(text.substr(open), &name, &e->client_ip, &e->client_port, &used)) return {};
    return text.substr(open, used);
  };
  Consume(&msg, "NOQUEUE: ");
  if (StartsWith(msg, "reject: ")) {
    Event probe;
    std::string_view client = client_of(msg, &probe);
    Session s;
    s.ip = probe.client_ip;
    s.port = probe.client_port;
    s.protocol = "smtp";
    if (!client.empty()) s.id = PostscreenSession(rec, client, false);
    return ParseReject(rec, msg, &s, sink) ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
  }
  // "CONNECT from [ip]:port to [ip]:port": a new connection, before any test.
  if (Consume(&msg, "CONNECT from ")) {
    Event e = Base(rec, EventKind::kSessionStart, nullptr);
    std::string_view client = client_of(msg, &e);
    if (client.empty()) return LineOutcome::kNotUnderstood;
    e.session = PostscreenSession(rec, client, true);
    std::string_view name;
    size_t used = 0;
    std::optional<IpAddress> server;
    int server_port = -1;
    if (auto to = After(msg, " to "); to && ParseHostIp(*to, &name, &server, &server_port, &used)) {
      e.server_ip = server;
      e.server_port = server_port;
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  // Tests failed by the client (each an abuse signal worth a reply event) and the verdicts that
  // end postscreen's part of the connection.
  struct Verdict {
    std::string_view word;
    bool failed;  // a test the client failed, or a block list that named it
    bool ends;    // postscreen is done with the connection (handed on or dropped)
  };
  static constexpr Verdict kVerdicts[] = {
      {"PREGREET ", true, false},
      {"HANGUP ", true, false},
      {"COMMAND TIME LIMIT ", true, false},
      {"COMMAND COUNT LIMIT ", true, false},
      {"COMMAND LENGTH LIMIT ", true, false},
      {"COMMAND PIPELINING ", true, false},
      {"BARE NEWLINE ", true, false},
      {"NON-SMTP COMMAND ", true, false},
      {"DNSBL rank ", true, false},
      {"BLACKLISTED ", true, false},
      {"DENYLISTED ", true, false},
      {"PASS NEW ", false, true},
      {"PASS OLD ", false, true},
      {"WHITELISTED ", false, true},
      {"ALLOWLISTED ", false, true},
      {"DISCONNECT ", false, true},
      {"WHITELIST VETO ", false, false},
      {"ALLOWLIST VETO ", false, false},
  };
  for (const Verdict& v : kVerdicts) {
    if (!StartsWith(msg, v.word)) continue;
    Event e = Base(rec, v.failed ? EventKind::kReply : EventKind::kSessionEnd, nullptr);
    std::string_view client = client_of(msg, &e);
    if (!client.empty()) e.session = PostscreenSession(rec, client, false);
    std::string_view word = Trim(v.word);
    if (v.failed) {
      e.text = std::string(word);
      // "PREGREET 11 after 0.08 from [ip]:port: EHLO x\r\n", "DNSBL rank 3 for [ip]:port",
      // "HANGUP after 0.2 from [ip]:port in tests before SMTP handshake": the whole verdict.
      std::string_view detail = msg;
      if (word == "DNSBL rank") e.text = std::string(UpTo(msg, " for "));
      if (word == "HANGUP" || word == "PREGREET") e.command = "CONNECT";  // before any command
      e.reason = std::string(Trim(detail).substr(0, 300));
      if (auto after = After(msg, " after ")) {
        std::string_view cmd = UpTo(*after, " ");
        if (!cmd.empty() && cmd[0] >= 'A' && cmd[0] <= 'Z') e.command = std::string(cmd);
      }
      if (e.command.empty()) e.command = "CONNECT";
    } else {
      e.state = "closed";
      e.text = std::string(word);
    }
    sink.Emit(std::move(e));
    if (v.ends && !client.empty()) {
      std::string key(rec.host);
      key.push_back(' ');
      key.append(client);
      postscreen_.erase(key);
    }
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;  // cache notes, "warning: ..." and similar
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
  e.header_from = m.header_from;
  e.to = m.to;
  e.cc = m.cc;
  e.subject = m.subject;
  e.accepted = true;
  e.queue_id = std::string(queue_id);
  if (!m.started) e.continued = true;
  sink.Emit(std::move(e));
}

LineOutcome PostfixParser::ParseQueueLine(const LogRecord& rec, std::string_view service,
                                          std::string_view queue_id, std::string_view msg,
                                          EventSink& sink) {
  if (service == "smtpd" && Consume(&msg, "client=")) {
    std::string_view name;
    size_t used = 0;
    std::optional<IpAddress> ip;
    int port = -1;
    const bool has_client = ParseHostIp(msg, &name, &ip, &port, &used);
    Session* found = &SessionFor(rec, false);
    // Another client on the same process: its "connect from" line is missing from the input.
    if (has_client && found->ip && ip && *found->ip != *ip) found = &SessionFor(rec, true);
    Session& s = *found;
    Message& m = MessageFor(rec, queue_id);
    m.started = true;
    if (has_client) {
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
        if (auto method = Field(msg, "sasl_method=")) a.mechanism = AsciiUpper(*method);
        a.user = m.user;
        a.outcome = "success";
        a.code = 235;
        sink.Emit(std::move(a));
      }
    }
    return LineOutcome::kUnderstood;
  }
  if (service == "pickup") {  // "uid=0 from=<root>": a locally submitted message begins
    MessageFor(rec, queue_id).started = true;
    return LineOutcome::kUnderstood;
  }
  if (service == "cleanup") {
    // cleanup writes the queue file: a message whose first line here is cleanup's (no smtpd or
    // pickup line before it: a bounce, a forwarded or re-injected message) began in this input.
    std::string key(rec.host);
    key.push_back(' ');
    key.append(queue_id);
    if (messages_.find(key) == messages_.end() && StartsWith(msg, "message-id=")) {
      MessageFor(rec, queue_id).started = true;
    }
    return ParseCleanup(rec, queue_id, msg, sink);
  }
  if (service == "qmgr") {
    if (msg == "removed") {
      std::string key(rec.host);
      key.push_back(' ');
      key.append(queue_id);
      auto it = messages_.find(key);
      if (it == messages_.end()) {
        // Nothing else about it in this input: it was queued before the input began (the end
        // of a message that waited while the log rotated). Said, so its queued record completes.
        MessageFor(rec, queue_id);
        it = messages_.find(key);
      }
      EmitMessage(rec, it->second, queue_id, sink);
      messages_.erase(it);
      return LineOutcome::kUnderstood;
    }
    if (StartsWith(msg, "from=")) {
      Message& m = MessageFor(rec, queue_id);
      if (auto from = Field(msg, "from=")) m.from = std::string(*from);
      if (auto size = Field(msg, "size=")) {
        if (auto v = ParseInt(*size)) m.size = *v;
      }
      m.in_queue = true;
      // "from=<a>, status=expired, returned to sender": the queue gave up on the message.
      if (auto status = Field(msg, "status="); status && *status == "expired") {
        Event e = MakeEvent(rec, "postfix", EventKind::kDelivery);
        e.session = m.session;
        e.protocol = m.protocol.empty() ? "smtp" : m.protocol;
        e.client_ip = m.ip;
        e.queue_id = std::string(queue_id);
        e.mail_from = m.from;
        e.recipients = m.recipients;
        e.status = "expired";
        e.text = std::string(Trim(After(msg, "status=expired").value_or("")));
        while (!e.text.empty() && (e.text.front() == ',' || e.text.front() == ' ')) {
          e.text.erase(0, 1);
        }
        if (!m.note.empty()) e.reason = m.note;  // the last deferral: why it never left
        if (m.has_first && rec.ts >= m.first) {
          e.duration_s = static_cast<double>(rec.ts - m.first) / 1e6;  // its age in the queue
        }
        sink.Emit(std::move(e));
      }
      return LineOutcome::kUnderstood;
    }
    return LineOutcome::kUnderstood;
  }
  if (service == "smtpd") {  // "QUEUEID: reject: ..." after the message got an id
    Session& s = SessionFor(rec, false);
    std::string key(rec.host);
    key.push_back(' ');
    key.append(queue_id);
    auto it = messages_.find(key);
    const Message* m = it == messages_.end() ? nullptr : &it->second;
    if (StartsWith(msg, "proxy-reject: ")) {
      // The before-queue filter refused the message: it never enters the queue.
      bool ok = ParseProxyReject(rec, msg, &s, sink, m, queue_id);
      if (ok) Forget(rec, queue_id);
      return ok ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
    }
    if (StartsWith(msg, "proxy-accept: ")) return LineOutcome::kUnderstood;
    bool ok = ParseReject(rec, msg, &s, sink, m, queue_id);
    if (ok && (Contains(msg, "reject: DATA ") || Contains(msg, "reject: END-OF-MESSAGE "))) {
      Forget(rec, queue_id);  // refused at the end of the data: never queued
    }
    return ok ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
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
    if (e.status == "deferred") {
      m.note = e.text.substr(0, 300);
    }
    bool known = false;
    for (const auto& r : m.recipients) known = known || r == e.rcpt_to;
    if (!known && m.recipients.size() < 10000) m.recipients.push_back(e.rcpt_to);
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;  // bounce notices, "sender non-delivery notification", ...
}

LineOutcome PostfixParser::ParseCleanup(const LogRecord& rec, std::string_view queue_id,
                                        std::string_view msg, EventSink& sink) {
  if (auto id = Field(msg, "message-id=")) {
    MessageFor(rec, queue_id).msg_id = std::string(*id);
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(msg, "milter-reject: ") || StartsWith(msg, "reject: ")) {
    // A milter or a header/body check refused the message: tie the refusal to what the queue
    // id knows (client, session, sender, recipients); the message never enters the queue.
    std::string key(rec.host);
    key.push_back(' ');
    key.append(queue_id);
    auto it = messages_.find(key);
    const Message* m = it == messages_.end() ? nullptr : &it->second;
    Session none;
    if (m != nullptr) {
      none.id = m->session;
      none.ip = m->ip;
      none.port = m->client_port;
      none.protocol = m->protocol;
    } else {
      none.protocol = "smtp";
    }
    bool ok = ParseReject(rec, msg, m != nullptr ? &none : nullptr, sink, m, queue_id);
    if (ok) Forget(rec, queue_id);
    return ok ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
  }
  if (StartsWith(msg, "hold: ") || StartsWith(msg, "milter-hold: ")) {
    Message& m = MessageFor(rec, queue_id);
    m.in_queue = true;  // on hold: qmgr will not see it, but it is in the queue
    m.note = "held";
    // "hold: header Subject: x from host[ip]; from=<a> to=<b> proto=ESMTP helo=<h>: reason"
    if (auto tail = After(msg, "; from=<")) {
      std::string_view t(tail->data() - 6, tail->size() + 6);
      if (auto from = Field(t, "from="); from && m.from.empty()) m.from = std::string(*from);
      if (auto to = Field(t, "to="); to && m.recipients.empty()) m.recipients.emplace_back(*to);
    }
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(msg, "info: header ") || StartsWith(msg, "warning: header ")) {
    // header_checks INFO or WARN: "info: header Cc: Carol <c@x>, d@y from host[ip]; from=<a>
    // to=<b> proto=ESMTP helo=<h>" (WARN may add ": text"). The header goes with the message.
    std::string_view h = msg.substr(msg.find("header ") + 7);
    const size_t tail = h.rfind("; from=<");
    if (tail == std::string_view::npos) return LineOutcome::kUnderstood;
    h = h.substr(0, tail);
    const size_t client = h.rfind(" from ");
    const size_t colon = h.find(':');
    if (client == std::string_view::npos || colon == std::string_view::npos || colon > client) {
      return LineOutcome::kUnderstood;
    }
    std::string name(Trim(h.substr(0, colon)));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = Trim(h.substr(colon + 1, client - colon - 1));
    value = value.substr(0, 1024);
    Message& m = MessageFor(rec, queue_id);
    if (name == "to" || name == "cc") {
      auto& list = name == "to" ? m.to : m.cc;
      for (std::string& a : SplitAddressList(value)) {
        if (list.size() >= 1000) break;
        list.push_back(std::move(a));
      }
    } else if (name == "from") {
      m.header_from = std::string(value);
    } else if (name == "subject" && !Contains(value, "=?")) {
      m.subject = std::string(value);  // encoded words are left out: the field is decoded text
    }
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;  // other header/body check and milter notes
}

void PostfixParser::Finish(EventSink& sink) {
  // Messages still in the queue at the end of the input, in the order they were last seen so
  // every read emits them alike.
  std::vector<std::pair<const std::string*, Message*>> queued;
  for (auto& [key, m] : messages_) {
    if (m.in_queue) queued.emplace_back(&key, &m);
  }
  std::sort(queued.begin(), queued.end(), [](const auto& a, const auto& b) {
    return a.second->last_line != b.second->last_line ? a.second->last_line < b.second->last_line
                                                      : *a.first < *b.first;
  });
  for (auto& [key, m] : queued) {
    Event e = MakeEvent(LogRecord{}, "postfix", EventKind::kMessage);
    e.ts = m->first;
    e.session = m->session;
    e.protocol = m->protocol.empty() ? "smtp" : m->protocol;
    e.client_ip = m->ip;
    e.client_port = m->client_port;
    e.user = m->user;
    e.mail_from = m->from;
    e.recipients = m->recipients;
    if (m->size >= 0) e.size = m->size;
    e.msg_id = m->msg_id;
    e.header_from = m->header_from;
    e.to = m->to;
    e.cc = m->cc;
    e.subject = m->subject;
    e.accepted = true;
    e.state = "queued";
    if (!m->started) e.continued = true;
    e.reason = m->note;
    const size_t sp = key->find(' ');
    e.queue_id = sp == std::string::npos ? *key : key->substr(sp + 1);
    if (sp != std::string::npos && sp > 0) e.server_name = key->substr(0, sp);
    if (m->last_line >= 0) {
      e.origin.line = m->last_line;  // the line that last described it: a re-read is the same
      e.origin.index = 0;
    }
    sink.Emit(std::move(e));
  }
  messages_.clear();
  postscreen_.clear();
  sessions_.clear();
}

}  // namespace mxir::logs
