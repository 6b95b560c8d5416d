// PostfixParser's queue part: lines with a queue id (smtpd client=, cleanup, qmgr, the delivery
// agents, bounce, postsuper) joined into one message per queue id; the message event when it
// leaves the queue, and at Finish() the messages still queued.
#include <algorithm>

#include "core/address_list.h"
#include "core/ascii.h"
#include "logs/postfix_parser.h"
#include "logs/text_scan.h"

namespace mxir::logs {

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
