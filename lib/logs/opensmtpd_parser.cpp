#include "logs/opensmtpd_parser.h"

#include <algorithm>

#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

bool IsHex16(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A value of `key` that may be double-quoted with backslash escapes (command="RCPT TO:<x>").
std::string QuotedField(std::string_view s, std::string_view key) {
  size_t at = 0;
  while ((at = s.find(key, at)) != std::string_view::npos) {
    if (at == 0 || s[at - 1] == ' ') break;
    at += key.size();
  }
  if (at == std::string_view::npos) return {};
  std::string_view v = s.substr(at + key.size());
  std::string out;
  if (v.empty() || v.front() != '"') return std::string(UpTo(v, " "));
  for (size_t i = 1; i < v.size() && out.size() < 1024; ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      out.push_back(v[++i]);
    } else if (v[i] == '"') {
      break;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

}  // namespace

OpenSmtpdParser::Session& OpenSmtpdParser::SessionFor(std::string_view id, bool fresh) {
  auto it = sessions_.find(std::string(id));
  if (it != sessions_.end() && !fresh) return it->second;
  if (it == sessions_.end() && sessions_.size() >= kMaxOpen) sessions_.erase(sessions_.begin());
  Session& s = sessions_[std::string(id)];
  s = Session{};
  s.id = SharedString("opensmtpd:" + std::string(id));
  return s;
}

Event OpenSmtpdParser::Base(const LogRecord& rec, EventKind kind, const Session& s) const {
  Event e = MakeEvent(rec, "opensmtpd", kind);
  e.protocol = "smtp";
  e.session = s.id;
  e.client_ip = s.ip;
  return e;
}

void OpenSmtpdParser::EmitMessage(const LogRecord* rec, Session& s, EventSink& sink) {
  if (!s.has_message) return;
  Event e = rec != nullptr ? Base(*rec, EventKind::kMessage, s) : Event{};
  if (rec == nullptr) {
    e.source = "opensmtpd";
    e.kind = EventKind::kMessage;
    e.protocol = "smtp";
    e.session = s.id;
    e.client_ip = s.ip;
    if (s.last_line >= 0) {
      e.origin.line = s.last_line;  // emitted at the end of the input: the same on every read
      e.origin.index = 0;
    }
  }
  e.ts = s.message_ts;
  e.user = s.user;
  e.mail_from = s.from;
  e.recipients = s.recipients;
  if (s.size >= 0) e.size = s.size;
  e.queue_id = s.msg_id;
  e.accepted = true;
  sink.Emit(std::move(e));
  s.has_message = false;
  s.recipients.clear();
  s.from.clear();
  s.size = -1;
}

LineOutcome OpenSmtpdParser::Parse(const LogRecord& rec, EventSink& sink) {
  if (rec.program != "smtpd") return LineOutcome::kNotMine;
  std::string_view msg = rec.message;
  // OpenSMTPD 5.x: "smtp-in: New session 1a2b... from host x [192.0.2.1]".
  if (Consume(&msg, "smtp-in: ")) {
    if (Consume(&msg, "New session ")) {
      std::string_view id = UpTo(msg, " ");
      Session& s = SessionFor(id, true);
      s.ip = FindBracketIp(msg);
      sink.Emit(Base(rec, EventKind::kSessionStart, s));
      return LineOutcome::kUnderstood;
    }
    if (auto on = After(msg, " on session ")) {
      std::string_view id = UpTo(UpTo(*on, ":"), " ");
      Session& s = SessionFor(id, false);
      if (StartsWith(msg, "Failed command")) {
        // Failed command on session ID: "AUTH LOGIN" => 535 5.7.8 Authentication failed
        Event e = Base(rec, EventKind::kReply, s);
        std::string_view rest = *on;
        std::string command(UpTo(After(rest, "\"").value_or(""), "\""));
        e.command = UpTo(command, " ") == "AUTH" ? "AUTH" : std::string(UpTo(command, ":"));
        auto result = After(rest, "=> ");
        int code = 0;
        std::string_view enh, text;
        if (result && ParseReply(*result, &code, &enh, &text)) {
          e.code = code;
          e.enhanced = std::string(enh);
          e.text = std::string(text);
        }
        if (e.command == "AUTH" && code == 535) {
          e.kind = EventKind::kAuth;
          e.outcome = "failure";
          e.mechanism = std::string(UpTo(command.size() > 5 ? command.substr(5) : "", " "));
        }
        sink.Emit(std::move(e));
        return LineOutcome::kUnderstood;
      }
      return LineOutcome::kUnderstood;
    }
    if (Consume(&msg, "Closing session ")) {
      std::string_view id = UpTo(msg, " ");
      auto it = sessions_.find(std::string(id));
      if (it == sessions_.end()) return LineOutcome::kUnderstood;
      EmitMessage(&rec, it->second, sink);
      Event e = Base(rec, EventKind::kSessionEnd, it->second);
      e.state = "closed";
      sink.Emit(std::move(e));
      sessions_.erase(it);
      return LineOutcome::kUnderstood;
    }
    return LineOutcome::kUnderstood;
  }
  std::string_view id = UpTo(msg, " ");
  if (!IsHex16(id)) return LineOutcome::kNotMine;
  msg.remove_prefix(id.size());
  if (Consume(&msg, " mta ")) return LineOutcome::kUnderstood;  // outbound deliveries
  if (!Consume(&msg, " smtp ")) return LineOutcome::kUnderstood;
  Consume(&msg, "event=");  // 6.0-6.4: "smtp event=connected address=..."
  std::string_view what = UpTo(msg, " ");
  const bool connected = what == "connected";
  Session& s = SessionFor(id, connected);
  if (auto addr = Field(msg, "address=")) {
    if (auto ip = ParseIp(*addr)) s.ip = ip;
  }
  if (connected) {
    sink.Emit(Base(rec, EventKind::kSessionStart, s));
    return LineOutcome::kUnderstood;
  }
  if (what == "authentication") {
    Event e = Base(rec, EventKind::kAuth, s);
    e.user = QuotedField(msg, "user=");
    std::string result = QuotedField(msg, "result=");
    if (result == "ok") {
      e.outcome = "success";
      e.code = 235;
      s.user = e.user;
    } else if (result == "permfail") {
      e.outcome = "failure";
      e.code = 535;
    } else {
      e.outcome = "unknown";  // tempfail: the backend failed, not the password
      e.code = 421;
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (what == "failed-command") {
    Event e = Base(rec, EventKind::kReply, s);
    std::string command = QuotedField(msg, "command=");
    std::string result = QuotedField(msg, "result=");
    e.command = std::string(UpTo(UpTo(command, ":"), " "));
    if (StartsWith(command, "MAIL FROM") || StartsWith(command, "RCPT TO")) {
      e.command = command.substr(0, 4);
    }
    if (auto lt = After(command, "<")) {
      std::string addr(UpTo(*lt, ">"));
      if (e.command == "MAIL") e.mail_from = addr;
      if (e.command == "RCPT") e.rcpt_to = addr;
    }
    int code = 0;
    std::string_view enh, text;
    if (ParseReply(result, &code, &enh, &text)) {
      e.code = code;
      e.enhanced = std::string(enh);
      e.text = std::string(text);
    } else {
      e.text = result;
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (what == "message") {
    // "smtp message msgid=1a2b3c4d size=1234 nrcpt=1 proto=ESMTP"
    EmitMessage(&rec, s, sink);  // a previous message of the session
    s.has_message = true;
    s.message_ts = rec.ts;
    s.msg_id = QuotedField(msg, "msgid=");
    s.last_line = rec.line;
    if (auto size = ParseInt(QuotedField(msg, "size="))) s.size = *size;
    return LineOutcome::kUnderstood;
  }
  if (what == "envelope") {
    // "smtp envelope evpid=... from=<a@b> to=<c@d>"
    if (!s.has_message) {
      s.has_message = true;
      s.message_ts = rec.ts;
    }
    s.last_line = rec.line;
    if (auto from = Field(msg, "from=")) s.from = std::string(*from);
    if (auto to = Field(msg, "to="); to && s.recipients.size() < 10000) {
      s.recipients.emplace_back(*to);
    }
    return LineOutcome::kUnderstood;
  }
  if (what == "disconnected" || what == "closed") {
    EmitMessage(&rec, s, sink);
    Event e = Base(rec, EventKind::kSessionEnd, s);
    std::string reason = QuotedField(msg, "reason=");
    e.state = reason == "timeout" ? "timeout" : reason == "quit" ? "closed" : "reset";
    e.text = reason;
    sink.Emit(std::move(e));
    sessions_.erase(std::string(id));
    return LineOutcome::kUnderstood;
  }
  if (what == "tls") {
    Event e = Base(rec, EventKind::kTls, s);
    e.how = "starttls";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;  // protocol-client/server traces, filter notes, ...
}

void OpenSmtpdParser::Finish(EventSink& sink) {
  // Messages whose session did not close within the input: emitted with what is known.
  std::vector<Session*> open;
  for (auto& [id, s] : sessions_) {
    if (s.has_message) open.push_back(&s);
  }
  std::sort(open.begin(), open.end(), [](const Session* a, const Session* b) {
    return a->message_ts != b->message_ts ? a->message_ts < b->message_ts
                                          : std::string_view(a->id) < std::string_view(b->id);
  });
  for (Session* s : open) EmitMessage(nullptr, *s, sink);
  sessions_.clear();
}

}  // namespace mxir::logs
