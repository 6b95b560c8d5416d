#include "logs/nginx_mail_parser.h"

#include <algorithm>

#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

// "0.0.0.0:993" / "[::]:993" -> 993; -1 when absent.
int PortOf(std::string_view addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return -1;
  auto v = ParseInt(addr.substr(colon + 1));
  return v && *v >= 0 && *v <= 65535 ? static_cast<int>(*v) : -1;
}

std::string_view ProtocolOfPort(int port) {
  switch (port) {
    case 143:
    case 993:
      return "imap";
    case 110:
    case 995:
      return "pop3";
    case 587:
      return "submission";
    case 465:
      return "smtps";
    default:
      return "smtp";
  }
}

// The text of ", key: value" in nginx's trailing context, up to the next ", ".
std::string_view ContextValue(std::string_view s, std::string_view key) {
  auto v = After(s, key);
  if (!v) return {};
  return UpTo(*v, ", ");
}

}  // namespace

LineOutcome NginxMailParser::Parse(const LogRecord& rec, EventSink& sink) {
  // "[info] 1234#1234: *57 text": level, pid#tid, connection number.
  if (!rec.program.empty()) return LineOutcome::kNotMine;
  std::string_view msg = Trim(rec.message);
  if (msg.empty() || msg.front() != '[') return LineOutcome::kNotMine;
  size_t close = msg.find("] ");
  if (close == std::string_view::npos || close > 8) return LineOutcome::kNotMine;
  msg.remove_prefix(close + 2);
  std::string_view pids = UpTo(msg, ": ");
  if (pids.size() == msg.size() || pids.find('#') == std::string_view::npos) {
    return LineOutcome::kNotMine;
  }
  msg.remove_prefix(pids.size() + 2);
  std::string_view conn;
  if (!msg.empty() && msg.front() == '*') {
    conn = UpTo(msg, " ");
    msg.remove_prefix(std::min(msg.size(), conn.size() + 1));
  }
  const bool mail_state = Contains(msg, " while in http auth state") ||
                          Contains(msg, " while in auth state") || StartsWith(msg, "client ");
  if (!mail_state) return LineOutcome::kNotMine;  // nginx's HTTP side: not a mail proxy line
  std::string_view client = ContextValue(msg, ", client: ");
  std::string_view server = ContextValue(msg, ", server: ");
  std::string login(ContextValue(msg, ", login: "));
  if (login.size() >= 2 && login.front() == '"' && login.back() == '"') {
    login = login.substr(1, login.size() - 2);
  }
  Event e = MakeEvent(rec, "nginx", EventKind::kAuth);
  if (!conn.empty()) {
    std::string session = "nginx:";
    session.append(rec.host).append(":").append(UpTo(pids, "#")).append(":").append(conn);
    e.session = session;
  }
  if (StartsWith(msg, "client ") && Contains(msg, " connected to ")) {
    // "client 192.0.2.160:51234 connected to 0.0.0.0:993"
    std::string_view addr = UpTo(msg.substr(7), " ");
    size_t colon = addr.rfind(':');
    e.kind = EventKind::kSessionStart;
    e.client_ip = ParseIp(Trim(addr.substr(0, colon)));
    if (colon != std::string_view::npos) e.client_port = PortOf(addr);
    std::string_view to = After(msg, " connected to ").value_or("");
    e.server_port = PortOf(Trim(to));
    e.protocol = std::string(ProtocolOfPort(e.server_port));
    if (!e.client_ip) return LineOutcome::kNotUnderstood;
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  e.client_ip = ParseIp(client);
  e.server_port = PortOf(server);
  e.protocol = std::string(ProtocolOfPort(e.server_port));
  e.user = login;
  if (StartsWith(msg, "client login failed")) {
    e.outcome = "failure";
    std::string_view why = After(msg, "client login failed: ").value_or("");
    if (!why.empty() && why.front() == '"') why = UpTo(why.substr(1), "\"");
    e.reason = std::string(UpTo(why, " while in"));
  } else if (StartsWith(msg, "auth http server ")) {
    e.outcome = "unknown";  // the auth service failed, not the password
    e.reason = std::string(UpTo(msg, " while in"));
  } else {
    return LineOutcome::kUnderstood;  // other mail proxy notes
  }
  if (!e.client_ip) return LineOutcome::kNotUnderstood;
  sink.Emit(std::move(e));
  return LineOutcome::kUnderstood;
}

}  // namespace mxir::logs
