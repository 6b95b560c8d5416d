#include "logs/exim_parser.h"

#include <algorithm>

#include "core/ascii.h"
#include "logs/mta_common.h"
#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

constexpr std::string_view kReplyMarks[] = {"rejected",
                                            "dropped",
                                            "refused",
                                            "protocol error",
                                            "synchronization error",
                                            "sender verify fail",
                                            "no MAIL in SMTP connection",
                                            "closed by DROP in ACL",
                                            "no host name found for IP address",
                                            "no IP address found for host",
                                            "SA: Action:",
                                            "Connection from"};

}  // namespace

bool IsEximMessageId(std::string_view t) {
  if (t.size() < 16 || t.size() > 23) return false;
  size_t d1 = t.find('-');
  if (d1 != 6) return false;
  size_t d2 = t.find('-', d1 + 1);
  if (d2 == std::string_view::npos || t.find('-', d2 + 1) != std::string_view::npos) return false;
  for (char c : t) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

LineOutcome EximParser::Parse(const LogRecord& rec, EventSink& sink) {
  bool tagged = StartsWith(rec.program, "exim");
  if (!tagged && !rec.program.empty()) return LineOutcome::kNotMine;
  if (!rec.has_ts) return LineOutcome::kNotMine;
  std::string_view m = rec.message;
  bool exim_shaped = tagged;
  // "[pid] " and a message id.
  if (StartsWith(m, "[")) {
    size_t close = m.find("] ");
    if (close != std::string_view::npos && ParseInt(m.substr(1, close - 1))) {
      m.remove_prefix(close + 2);
      exim_shaped = true;
    }
  }
  std::string_view id;
  std::string_view first = UpTo(m, " ");
  if (IsEximMessageId(first)) {
    id = first;
    m.remove_prefix(std::min(m.size(), first.size() + 1));
    exim_shaped = true;
    if (m.size() >= 3 && m[2] == ' ' &&
        (StartsWith(m, "<= ") || StartsWith(m, "=> ") || StartsWith(m, "-> ") ||
         StartsWith(m, "** ") || StartsWith(m, "==") || StartsWith(m, "*> "))) {
      return ParseTransfer(rec, id,
                           m[0] == '<'                  ? '<'
                           : m[0] == '*' && m[1] == '*' ? '*'
                           : m[0] == '=' && m[1] == '=' ? '!'
                                                        : '>',
                           m.substr(3), sink);
    }
    if (m == "Completed") {
      auto it = messages_.find(std::string(id));
      if (it != messages_.end()) {
        sink.Emit(std::move(it->second.event));
        messages_.erase(it);
      }
      return LineOutcome::kUnderstood;
    }
  }
  if (auto failed = After(m, " authenticator failed for ")) {
    Event e = MakeEvent(rec, "exim", EventKind::kAuth);
    std::string_view authenticator = UpTo(m, " ");
    e.mechanism = std::string(MechanismFromName(authenticator));
    e.client_ip = EximClientIp(" H=" + std::string(UpTo(*failed, ": 5")), &e.client_port);
    int local_port = -1;
    if (auto i = After(m, " I=[")) {
      if (auto p = After(UpTo(*i, " "), "]:")) {
        if (auto v = ParseInt(UpTo(*p, ":"))) local_port = static_cast<int>(*v);
      }
    }
    e.server_port = local_port;
    e.protocol = std::string(ProtocolForPort(local_port));
    e.outcome = "failure";
    e.code = 535;
    if (auto user = After(m, "(set_id=")) e.user = std::string(UpTo(*user, ")"));
    e.reason = std::string(Trim(UpTo(UpTo(After(m, ": 535 ").value_or(""), " (set_id="), ":")));
    JoinConnection(e);
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(m, "SMTP connection from ") ||
      StartsWith(m, "unexpected disconnection while reading SMTP command from ") ||
      StartsWith(m, "SMTP command timeout on connection from ") ||
      StartsWith(m, "SMTP data timeout (message abandoned) on connection from ")) {
    bool reply_mark = false;
    for (std::string_view mark : kReplyMarks) reply_mark = reply_mark || Contains(m, mark);
    if (!reply_mark) return ParseConnection(rec, m, sink);
  }
  for (std::string_view mark : kReplyMarks) {
    if (!Contains(m, mark)) continue;
    Event e = MakeEvent(rec, "exim", EventKind::kReply);
    e.protocol = "smtp";
    if (mark == "no host name found for IP address") {
      e.client_ip = ParseIp(Trim(*After(m, mark)));
    } else {
      e.client_ip = EximClientIp(m, &e.client_port);
    }
    if (!e.client_ip) break;  // a reject without a client (e.g. local submission): no event
    if (auto r = After(m, "rejected ")) {
      std::string_view cmd = UpTo(*r, " ");
      if (cmd == "after") cmd = UpTo(r->substr(6), ":");
      if (!cmd.empty() && cmd[0] >= 'A' && cmd[0] <= 'Z') e.command = std::string(cmd);
    } else if (auto q = After(m, "protocol error in \"")) {
      e.command = AsciiUpper(UpTo(UpTo(*q, "\""), " "));
    } else if (Contains(m, "sender verify fail")) {
      e.command = "MAIL";
    }
    if (auto f = Field(m, "F=")) e.mail_from = std::string(*f);
    if (e.command == "RCPT") {
      if (auto r = After(m, "rejected RCPT ")) {
        std::string_view to = UpTo(*r, ": ");
        if (!to.empty() && to.front() == '<') to = to.substr(1, to.size() - 2);
        e.rcpt_to = std::string(to);
      }
    }
    std::string_view text = m;
    if (auto colon = After(m, "]: ")) text = *colon;
    if (auto after_cmd = After(text, ": ")) {
      if (e.command == "RCPT" || e.command == "MAIL" || e.command == "DATA") text = *after_cmd;
    }
    e.text = std::string(Trim(text.substr(0, std::min<size_t>(text.size(), 300))));
    if (!id.empty()) e.queue_id = std::string(id);
    JoinConnection(e);
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (!exim_shaped && !Contains(m, " H=")) return LineOutcome::kNotMine;
  return LineOutcome::kUnderstood;
}

void EximParser::JoinConnection(Event& e) const {
  if (!e.client_ip || e.client_port < 0 || !e.session.empty()) return;
  auto it = connections_.find(e.client_ip->ToString() + " " + std::to_string(e.client_port));
  if (it != connections_.end()) e.session = it->second;
}

LineOutcome EximParser::ParseConnection(const LogRecord& rec, std::string_view m, EventSink& sink) {
  // "SMTP connection from [192.0.2.1]:51234 I=[198.51.100.25]:25 (TCP/IP connection count = 1)"
  // "SMTP connection from (helo) [192.0.2.1]:51234 I=[198.51.100.25]:25 lost D=2s"
  // "SMTP connection from [192.0.2.1]:51234 I=[198.51.100.25]:25 closed by QUIT"
  // "unexpected disconnection while reading SMTP command from (helo) [192.0.2.1]:51234 ..."
  // "SMTP command timeout on connection from [192.0.2.1]:51234 I=[198.51.100.25]:25 D=5m"
  Event e = MakeEvent(rec, "exim", EventKind::kSessionStart);
  std::string_view from = After(m, " from ").value_or("");
  e.client_ip = EximClientIp(" from " + std::string(from), &e.client_port);
  if (!e.client_ip) return LineOutcome::kNotUnderstood;
  if (auto i = After(m, " I=[")) {
    if (auto p = After(UpTo(*i, " "), "]:")) {
      if (auto v = ParseInt(UpTo(*p, " "))) e.server_port = static_cast<int>(*v);
    }
    e.server_ip = ParseIp(UpTo(*i, "]"));
  }
  e.protocol = std::string(ProtocolForPort(e.server_port));
  std::string key = e.client_ip->ToString() + " " + std::to_string(e.client_port);
  const bool start = Contains(m, "(TCP/IP connection count");
  std::string state;
  if (StartsWith(m, "unexpected disconnection")) {
    state = "reset";
  } else if (StartsWith(m, "SMTP command timeout") || StartsWith(m, "SMTP data timeout")) {
    state = "timeout";
  } else if (Contains(m, " lost")) {
    state = "reset";
  } else if (Contains(m, " closed by QUIT") || Contains(m, " closed")) {
    state = "closed";
  } else if (!start) {
    return LineOutcome::kUnderstood;  // other connection notes
  }
  auto it = connections_.find(key);
  if (start || it == connections_.end()) {
    if (it == connections_.end() && connections_.size() >= kMaxOpen) {
      connections_.erase(connections_.begin());
    }
    std::string id =
        "exim:" + key + ":" + std::to_string(rec.ts.seconds()) + "." + std::to_string(++serial_);
    for (char& c : id) {
      if (c == ' ') c = ':';
    }
    it = connections_.insert_or_assign(key, SharedString(id)).first;
  }
  e.session = it->second;
  if (start) {
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  e.kind = EventKind::kSessionEnd;
  e.state = state;
  e.text = std::string(Trim(UpTo(m, " from ")));
  if (auto d = After(m, " D=")) {
    // "D=2s", "D=1m5s", "D=3.042s": the duration when it is plain seconds.
    std::string_view v = UpTo(*d, " ");
    if (!v.empty() && v.back() == 's' && v.find('m') == std::string_view::npos) {
      try {
        e.duration_s = std::stod(std::string(v.substr(0, v.size() - 1)));
      } catch (...) {
      }
    }
  }
  connections_.erase(it);
  sink.Emit(std::move(e));
  return LineOutcome::kUnderstood;
}

LineOutcome EximParser::ParseTransfer(const LogRecord& rec, std::string_view id, char what,
                                      std::string_view rest, EventSink& sink) {
  std::string key(id);
  if (what == '<') {
    if (messages_.size() >= kMaxOpen) messages_.erase(messages_.begin());
    Event e = MakeEvent(rec, "exim", EventKind::kMessage);
    e.queue_id = key;
    e.mail_from = std::string(UpTo(rest, " "));
    if (e.mail_from == "<>") e.mail_from.clear();
    e.client_ip = EximClientIp(rest, &e.client_port);
    std::string_view authenticator;
    if (auto a = Field(rest, "A=")) {
      std::string_view auth = *a;
      authenticator = UpTo(auth, ":");
      if (auto user = After(auth, ":")) e.user = std::string(*user);
    }
    if (auto s = Field(rest, "S=")) {
      if (auto v = ParseInt(*s)) e.size = *v;
    }
    if (auto i = Field(rest, "id=")) e.msg_id = std::string(*i);
    if (auto p = Field(rest, "P=")) {
      e.protocol = Contains(*p, "sa") && StartsWith(*p, "esmtp") ? "submission" : "smtp";
    }
    e.session = "exim:" + key;
    e.accepted = true;
    if (!e.user.empty() && e.client_ip) {
      // "A=plain_server:alice": the only line Exim writes for a successful SMTP AUTH.
      Event a = MakeEvent(rec, "exim", EventKind::kAuth);
      a.client_ip = e.client_ip;
      a.client_port = e.client_port;
      a.protocol = e.protocol;
      a.mechanism = std::string(MechanismFromName(authenticator));
      a.user = e.user;
      a.outcome = "success";
      a.code = 235;
      a.queue_id = key;
      JoinConnection(a);
      if (a.session.empty()) a.session = e.session;
      sink.Emit(std::move(a));
    }
    messages_[key].event = std::move(e);
    return LineOutcome::kUnderstood;
  }
  Event d = MakeEvent(rec, "exim", EventKind::kDelivery);
  d.queue_id = key;
  // "=> bob <bob@example.org> R=...": a local delivery names the address it was routed to, then
  // in angle brackets the envelope recipient it came from; that one is the message's recipient.
  std::string_view to = UpTo(rest, " ");
  if (auto next = After(rest, " ")) {
    std::string_view original = UpTo(*next, " ");
    if (original.size() > 2 && original.front() == '<' && original.back() == '>') to = original;
  }
  if (!to.empty() && to.front() == '<') to = to.substr(1, to.size() - 2);
  d.rcpt_to = std::string(to);
  d.status = what == '*' ? "bounced" : what == '!' ? "deferred" : "sent";
  if (auto r = Field(rest, "R=")) d.relay = std::string(*r);
  if (auto h = Field(rest, "H=")) d.relay = std::string(*h);
  if (auto c = Field(rest, "C=")) d.text = std::string(*c);
  if (auto colon = After(rest, ": ")) {
    d.text = std::string(Trim(*colon));
    if (auto said = After(*colon, "SMTP error from remote mail server after ")) {
      if (auto reply = After(*said, ": ")) {
        int code = 0;
        std::string_view enh, text;
        if (ParseReply(*reply, &code, &enh, &text)) {
          d.code = code;
          d.enhanced = std::string(enh);
          d.text = std::string(text);
        }
      }
    }
  }
  auto it = messages_.find(key);
  if (it != messages_.end()) {
    Event& m = it->second.event;
    d.session = m.session;
    d.client_ip = m.client_ip;
    d.protocol = m.protocol;
    if (what != '!' && m.recipients.size() < 10000) m.recipients.push_back(d.rcpt_to);
  }
  sink.Emit(std::move(d));
  return LineOutcome::kUnderstood;
}

void EximParser::Finish(EventSink& sink) {
  // Messages without "Completed" (still queued at the end of the log).
  // Sorted by id, so the events (and their origin index) are the same on every run.
  std::vector<std::string> ids;
  for (const auto& [id, m] : messages_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) sink.Emit(std::move(messages_[id].event));
  messages_.clear();
  connections_.clear();
}

}  // namespace mxir::logs
