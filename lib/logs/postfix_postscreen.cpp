// PostfixParser's postscreen part: CONNECT, PREGREET, DNSBL rank, PASS NEW/OLD, HANGUP and
// DISCONNECT lines as sessions of their own, keyed by client ip:port (postscreen serves many
// clients in one process).
#include "logs/postfix_parser.h"
#include "logs/text_scan.h"

namespace mxir::logs {

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

}  // namespace mxir::logs
