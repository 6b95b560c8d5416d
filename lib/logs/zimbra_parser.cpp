#include "logs/zimbra_parser.h"

#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

// The value of `key` ("oip=") in log4j's "[k=v;k=v;]" context.
std::string_view ContextField(std::string_view ctx, std::string_view key) {
  size_t at = 0;
  while ((at = ctx.find(key, at)) != std::string_view::npos) {
    if (at == 0 || ctx[at - 1] == ';' || ctx[at - 1] == '[') {
      std::string_view v = ctx.substr(at + key.size());
      return UpTo(UpTo(v, ";"), "]");
    }
    at += key.size();
  }
  return {};
}

// "...;oip=198.51.100.1, 192.0.2.150;..." may list a proxy chain: the first address is the client.
std::optional<IpAddress> ClientIp(std::string_view ctx) {
  for (std::string_view key : {"oip=", "ip="}) {
    std::string_view v = ContextField(ctx, key);
    if (v.empty()) continue;
    if (auto ip = ParseIp(Trim(UpTo(v, ",")))) return ip;
  }
  return std::nullopt;
}

std::string_view ProtocolFrom(std::string_view thread, std::string_view text) {
  if (auto p = After(text, "protocol=")) {
    std::string_view v = UpTo(UpTo(*p, ";"), " ");
    if (v == "imap" || v == "pop3") return v;
    if (v == "soap" || v == "http_basic" || v == "zsync") return "webmail";
    if (v == "smtp") return "smtp";
  }
  if (Contains(thread, "Imap")) return "imap";
  if (Contains(thread, "Pop3")) return "pop3";
  if (Contains(thread, "Lmtp")) return "lmtp";
  return "webmail";
}

}  // namespace

LineOutcome ZimbraParser::Parse(const LogRecord& rec, EventSink& sink) {
  // After the stamp: optional ",mmm", the level, "[thread]", "[context]", "category - text".
  if (!rec.program.empty()) return LineOutcome::kNotMine;
  std::string_view msg = rec.message;
  if (!msg.empty() && msg.front() == ',') {
    size_t i = 1;
    while (i < msg.size() && msg[i] >= '0' && msg[i] <= '9') ++i;
    msg.remove_prefix(i);
  }
  msg = Trim(msg);
  std::string_view level = UpTo(msg, " ");
  if (level != "INFO" && level != "WARN" && level != "ERROR" && level != "DEBUG") {
    return LineOutcome::kNotMine;
  }
  msg = Trim(msg.substr(level.size()));
  if (msg.empty() || msg.front() != '[') return LineOutcome::kNotMine;
  size_t close = msg.find("] ");
  if (close == std::string_view::npos) return LineOutcome::kNotMine;
  std::string_view thread = msg.substr(1, close - 1);
  msg = Trim(msg.substr(close + 1));
  std::string_view ctx;
  if (!msg.empty() && msg.front() == '[') {
    size_t end = msg.find("] ");
    if (end == std::string_view::npos) return LineOutcome::kNotMine;
    ctx = msg.substr(0, end + 1);
    msg = Trim(msg.substr(end + 1));
  }
  size_t dash = msg.find(" - ");
  if (dash == std::string_view::npos || dash > 40) return LineOutcome::kNotMine;
  std::string_view category = msg.substr(0, dash);
  std::string_view text = msg.substr(dash + 3);

  Event e = MakeEvent(rec, "zimbra", EventKind::kAuth);
  e.client_ip = ClientIp(ctx);
  e.protocol = std::string(ProtocolFrom(thread, text));
  std::string_view name = ContextField(ctx, "name=");
  if (auto failed = After(text, "authentication failed for ")) {
    // "...authentication failed for [alice@example.com], invalid password;" (the brackets are
    // absent in older releases).
    std::string_view who = *failed;
    if (!who.empty() && who.front() == '[') {
      who = UpTo(who.substr(1), "]");
    } else {
      who = UpTo(UpTo(who, ","), " ");
    }
    e.user = std::string(who.empty() ? name : who);
    e.outcome = "failure";
    std::string_view reason = After(*failed, ", ").value_or("");
    e.reason = std::string(Trim(UpTo(UpTo(reason, ";"), "(")));
    if (!e.client_ip) return LineOutcome::kNotUnderstood;
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (category == "security" && StartsWith(text, "cmd=Auth")) {
    // audit.log success: "cmd=Auth; account=alice@example.com; protocol=soap;"
    std::string_view account = UpTo(UpTo(After(text, "account=").value_or(""), ";"), " ");
    e.user = std::string(account.empty() ? name : account);
    e.outcome = "success";
    if (!e.client_ip) return LineOutcome::kNotUnderstood;
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (auto user = After(text, "user ")) {
    // mailbox.log: "imap - user alice@example.com authenticated, mechanism=PLAIN"
    std::string_view u = UpTo(*user, " ");
    if (StartsWith(user->substr(u.size()), " authenticated")) {
      e.user = std::string(u);
      e.outcome = "success";
      if (auto mech = After(text, "mechanism=")) e.mechanism = std::string(UpTo(*mech, " "));
      if (!e.client_ip) return LineOutcome::kNotUnderstood;
      sink.Emit(std::move(e));
      return LineOutcome::kUnderstood;
    }
  }
  return LineOutcome::kUnderstood;  // Zimbra's, without an auth attempt
}

}  // namespace mxir::logs
