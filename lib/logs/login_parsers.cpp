#include "logs/login_parsers.h"

#include "logs/mta_common.h"
#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

using ParseFn = LineOutcome (*)(const LogRecord&, EventSink&);

class FunctionParser final : public LogParser {
 public:
  FunctionParser(const char* name, ParseFn fn) : name_(name), fn_(fn) {}
  const char* name() const override { return name_; }
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) override { return fn_(rec, sink); }

 private:
  const char* name_;
  ParseFn fn_;
};

Event Failure(const LogRecord& rec, const char* source, std::string_view protocol) {
  Event e = MakeEvent(rec, source, EventKind::kAuth);
  e.protocol = std::string(protocol);
  e.outcome = "failure";
  return e;
}

Event Reply(const LogRecord& rec, const char* source, std::string_view protocol) {
  Event e = MakeEvent(rec, source, EventKind::kReply);
  e.protocol = std::string(protocol);
  return e;
}

LineOutcome Emit(EventSink& sink, Event&& e) {
  if (!e.client_ip) return LineOutcome::kNotUnderstood;  // nothing to attribute it to
  sink.Emit(std::move(e));
  return LineOutcome::kUnderstood;
}

// The first space-separated token of `s` that is an IP address.
std::optional<IpAddress> FirstIpToken(std::string_view s) {
  for (int guard = 0; guard < 64 && !s.empty(); ++guard) {
    std::string_view tok = UpTo(s, " ");
    if (auto ip = ParseIp(Trim(tok))) return ip;
    if (tok.size() >= s.size()) break;
    s.remove_prefix(tok.size() + 1);
  }
  return std::nullopt;
}

std::string_view ProtocolOf(std::string_view program) {
  if (Contains(program, "pop")) return "pop3";
  if (Contains(program, "sieve")) return "sieve";
  if (Contains(program, "smtp")) return "smtp";
  return "imap";
}

// --- Courier -------------------------------------------------------------------------------
LineOutcome ParseCourier(const LogRecord& rec, EventSink& sink) {
  std::string_view m = rec.message;
  if (Consume(&m, "LOGIN FAILED, ")) {
    Event e = Failure(rec, "courier", ProtocolOf(rec.program));
    e.user = std::string(Field(m, "user=").value_or(""));
    std::string_view ip = Field(m, "ip=").value_or("");
    if (!ip.empty() && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    e.client_ip = ParseIp(ip);
    return Emit(sink, std::move(e));
  }
  if (Consume(&m, "error,relay=")) {
    Event e = Reply(rec, "courier", "smtp");
    e.client_ip = ParseIp(UpTo(m, ","));
    int code = 0;
    std::string_view enh, text;
    std::string_view reply = Field(m, "msg=").value_or("");
    if (reply.empty()) reply = Trim(After(m, ">: ").value_or(After(m, ": ").value_or("")));
    if (ParseReply(reply, &code, &enh, &text)) {
      e.code = code;
      e.text = std::string(text);
    }
    if (auto to = Field(m, "to=")) {
      e.rcpt_to = std::string(*to);
      e.command = "RCPT";
    }
    if (auto from = Field(m, "from=")) e.mail_from = std::string(*from);
    if (e.code == 535 || Contains(m, "cmd: AUTH") || Contains(reply, "Authentication failed")) {
      e.kind = EventKind::kAuth;
      e.outcome = "failure";
      e.command.clear();
    }
    return Emit(sink, std::move(e));
  }
  return LineOutcome::kNotMine;
}

// --- qmail (rblsmtpd, qmail-smtpd badiprbl) ----------------------------------------------
LineOutcome ParseQmail(const LogRecord& rec, EventSink& sink) {
  std::string_view p = rec.program;
  if (p != "qmail" && p != "rblsmtpd" && p != "qmail-smtpd" && p != "tcpserver") {
    return LineOutcome::kNotMine;
  }
  std::string_view m = rec.message;
  Event e = Reply(rec, "qmail", "smtp");
  if (auto r = After(m, "rblsmtpd: ")) {
    e.client_ip = ParseIp(UpTo(*r, " "));
    e.text = std::string(Trim(*r));
  } else if (p == "rblsmtpd") {
    if (auto b = After(m, " blocked ")) e.client_ip = ParseIp(UpTo(*b, " "));
    e.text = std::string(m);
  } else if (auto bad = After(m, "badiprbl: ip ")) {
    e.client_ip = ParseIp(UpTo(*bad, " "));
    e.code = 421;
    e.text = std::string(Trim(After(m, "qmail-smtpd: ").value_or(m)));
  } else {
    return LineOutcome::kUnderstood;
  }
  e.text = e.text.substr(0, 300);
  return Emit(sink, std::move(e));
}

// --- Kerio Connect security.log --------------------------------------------------------------
LineOutcome ParseKerio(const LogRecord& rec, EventSink& sink) {
  if (rec.raw.empty() || rec.raw[0] != '[' || !rec.has_ts) return LineOutcome::kNotMine;
  std::string_view m = After(rec.raw, "] ").value_or("");
  std::optional<IpAddress> ip;
  if (auto a = After(m, "IP address ")) {
    std::string_view tok = UpTo(UpTo(*a, ","), " ");
    if (!tok.empty() && tok.back() == '.') tok.remove_suffix(1);
    ip = ParseIp(tok);
  }
  if (!ip) {
    if (auto f = After(m, " from ")) {
      std::string_view tok = UpTo(UpTo(*f, ","), " ");
      ip = ParseIp(tok);
    }
  }
  if (!ip) return Contains(m, "IP address") ? LineOutcome::kNotUnderstood : LineOutcome::kNotMine;
  if (StartsWith(m, "Failed SMTP login from ") || Contains(m, "doesn't exist. Attempt from") ||
      Contains(m, " login into ") || StartsWith(m, "Failed IMAP login") ||
      StartsWith(m, "Failed POP3 login")) {
    std::string_view proto = Contains(m, "SMTP")   ? "smtp"
                             : Contains(m, "IMAP") ? "imap"
                             : Contains(m, "POP3") ? "pop3"
                                                   : "webmail";
    Event e = Failure(rec, "kerio", proto);
    e.client_ip = ip;
    if (auto method = After(m, "SASL method ")) {
      std::string_view mech = UpTo(*method, " ");
      if (!mech.empty() && mech.back() == '.') mech.remove_suffix(1);
      e.mechanism = std::string(mech);
    }
    if (auto user = After(m, "User ")) e.user = std::string(UpTo(*user, " "));
    e.reason = std::string(m.substr(0, std::min<size_t>(m.size(), 200)));
    return Emit(sink, std::move(e));
  }
  Event e = Reply(rec, "kerio", "smtp");
  e.client_ip = ip;
  e.text = std::string(m.substr(0, std::min<size_t>(m.size(), 300)));
  return Emit(sink, std::move(e));
}

// --- HCL / IBM Domino ----------------------------------------------------------------------
LineOutcome ParseDomino(const LogRecord& rec, EventSink& sink) {
  if (!rec.has_ts || !rec.host.empty()) return LineOutcome::kNotMine;
  std::string_view m = Trim(rec.message);
  if (!rec.program.empty()) m = Trim(After(rec.raw, "   ").value_or(""));  // "SMTP Server: ..."
  if (auto a = After(m, "Authentication failed for user ")) {
    if (!StartsWith(m, "SMTP Server")) return LineOutcome::kNotMine;
    Event e = Failure(rec, "domino", "smtp");
    e.user = std::string(Trim(UpTo(*a, " ; ")));
    std::string_view host = Trim(After(*a, "connecting host ").value_or(""));
    if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
    e.client_ip = ParseIp(host);
    return Emit(sink, std::move(e));
  }
  if (Consume(&m, "smtp: ")) {
    auto tail = m.find(" authentication failure using internet password");
    if (tail == std::string_view::npos) return LineOutcome::kUnderstood;
    std::string_view head = m.substr(0, tail);
    size_t sp = head.rfind(' ');
    std::string_view ip = sp == std::string_view::npos ? head : head.substr(sp + 1);
    if (!ip.empty() && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    Event e = Failure(rec, "domino", "smtp");
    e.client_ip = ParseIp(ip);
    if (sp != std::string_view::npos) e.user = std::string(Trim(head.substr(0, sp)));
    return Emit(sink, std::move(e));
  }
  return LineOutcome::kNotMine;
}

// --- Cyrus imapd/pop3d and timsieved: "badlogin: host [ip] MECH user SASL(-13): ..." ---------
LineOutcome ParseCyrus(const LogRecord& rec, EventSink& sink) {
  std::string_view m = rec.message;
  if (!Consume(&m, "badlogin: ")) return LineOutcome::kNotMine;
  Event e = Failure(rec, "cyrus", ProtocolOf(rec.program));
  e.client_ip = FindBracketIp(m);
  std::string_view rest = After(m, "] ").value_or("");
  std::string_view mech = UpTo(rest, " ");
  e.mechanism = std::string(mech == "plaintext" ? "PLAIN" : mech);
  rest = After(rest, " ").value_or("");
  std::string_view user = UpTo(rest, " ");
  if (!user.empty() && !StartsWith(user, "SASL") && !StartsWith(user, "[SASL") &&
      user != "authentication") {
    e.user = std::string(user);
  }
  e.reason = std::string(Trim(After(m, "SASL(-13): ").value_or(rest)));
  return Emit(sink, std::move(e));
}

// --- UW-IMAP -------------------------------------------------------------------------------
LineOutcome ParseUwImap(const LogRecord& rec, EventSink& sink) {
  std::string_view m = rec.message;
  if (!StartsWith(m, "Login failed user=") && !StartsWith(m, "Login excessive login failures") &&
      !StartsWith(m, "Login disabled user=") &&
      !(StartsWith(m, "Failed ") && Contains(m, "override of user="))) {
    return LineOutcome::kNotMine;
  }
  Event e = Failure(rec, "uw-imap", ProtocolOf(rec.program));
  e.user = std::string(Field(m, "user=").value_or(""));
  e.client_ip = FindBracketIp(m);
  return Emit(sink, std::move(e));
}

// --- Oracle Communications Messaging Server (XML log) ---------------------------------------
LineOutcome ParseOracleIms(const LogRecord& rec, EventSink& sink) {
  std::string_view m = rec.raw;
  if (!StartsWith(m, "<co ")) return LineOutcome::kNotMine;
  std::string_view mi = Field(m, "mi=").value_or("");
  std::string_view tr = Field(m, "tr=").value_or("");  // "TCP|server|port|client|cport"
  Event e = MakeEvent(rec, "oracleims", EventKind::kAuth);
  std::string_view parts[5];
  for (int i = 0; i < 5 && !tr.empty(); ++i) {
    parts[i] = UpTo(tr, "|");
    tr = After(tr, "|").value_or("");
  }
  e.server_ip = ParseIp(parts[1]);
  e.client_ip = ParseIp(parts[3]);
  if (auto p = ParseInt(parts[2])) e.server_port = static_cast<int>(*p);
  if (auto p = ParseInt(parts[4])) e.client_port = static_cast<int>(*p);
  e.protocol = std::string(ProtocolForPort(e.server_port));
  e.user = std::string(Field(m, "us=").value_or(""));
  int code = 0;
  std::string_view enh, text;
  if (ParseReply(Field(m, "di=").value_or(""), &code, &enh, &text)) e.code = code;
  if (mi == "Bad password" || StartsWith(mi, "Authentication failed") || code == 535) {
    e.outcome = "failure";
    e.reason = std::string(mi);
  } else if (StartsWith(mi, "Authentication successful")) {
    e.outcome = "success";
  } else {
    return LineOutcome::kUnderstood;
  }
  return Emit(sink, std::move(e));
}

// --- ASSP ----------------------------------------------------------------------------------
LineOutcome ParseAssp(const LogRecord& rec, EventSink& sink) {
  if (!rec.program.empty() || !rec.has_ts) return LineOutcome::kNotMine;
  std::string_view m = rec.message;
  bool assp = Contains(m, "[SSL-") || Contains(m, "[TLS-") || Contains(m, "[Worker_") ||
              Contains(m, "[SMTP Error]") || StartsWith(m, "Blocking ");
  if (!assp) return LineOutcome::kNotMine;
  Event e = Reply(rec, "assp", "smtp");
  e.client_ip = FirstIpToken(m);
  if (auto err = After(m, "[SMTP Error] ")) {
    int code = 0;
    std::string_view enh, text;
    if (ParseReply(*err, &code, &enh, &text)) {
      e.code = code;
      e.enhanced = std::string(enh);
      e.text = std::string(Trim(text));
    }
    if (code == 535) {
      e.kind = EventKind::kAuth;
      e.outcome =
          Contains(text, "Connection lost to authentication server") ? "unknown" : "failure";
      e.reason = e.text;
      e.text.clear();
    }
  } else if (Contains(m, "AUTH errors") || Contains(m, "authentication errors")) {
    e.command = "AUTH";
    e.text = std::string(
        Trim(After(m, std::string(e.client_ip ? e.client_ip->ToString() : "") + " ").value_or(m)));
  } else if (Contains(m, "relay attempt blocked")) {
    e.command = "RCPT";
    e.text = "relay attempt blocked";
  } else if (Contains(m, "SSL negotiation with client failed")) {
    e.command = "STARTTLS";
    e.text = "SSL negotiation with client failed";
  } else {
    return LineOutcome::kUnderstood;
  }
  if (e.text.size() > 300) e.text.resize(300);
  return Emit(sink, std::move(e));
}

// --- perdition -----------------------------------------------------------------------------
LineOutcome ParsePerdition(const LogRecord& rec, EventSink& sink) {
  if (!StartsWith(rec.program, "perdition")) return LineOutcome::kNotMine;
  std::string_view m = rec.message;
  std::string_view proto = Contains(rec.program, "pop") ? "pop3" : "imap";
  auto client_of = [](std::string_view s) { return ParseIp(UpTo(s, ":")); };
  if (auto a = After(m, "Auth: ")) {
    auto status = Field(m, "status=");
    if (!status || !StartsWith(*status, "failed")) return LineOutcome::kUnderstood;
    Event e = Failure(rec, "perdition", proto);
    e.client_ip = client_of(*a);
    e.user = std::string(Field(m, "authentication_id=").value_or(""));
    e.reason = std::string(*status);
    return Emit(sink, std::move(e));
  }
  if (auto f = After(m, "reading authentication information from client ")) {
    Event e = MakeEvent(rec, "perdition", EventKind::kReply);
    e.protocol = std::string(proto);
    e.client_ip = client_of(*f);
    e.command = "AUTH";
    e.text = "error reading authentication information";
    return Emit(sink, std::move(e));
  }
  return LineOutcome::kUnderstood;
}

// --- solid-pop3d ---------------------------------------------------------------------------
LineOutcome ParseSolidPop3d(const LogRecord& rec, EventSink& sink) {
  if (rec.program != "solid-pop3d") return LineOutcome::kNotMine;
  std::string_view m = rec.message;
  size_t dash = m.rfind(" - ");
  if (dash == std::string_view::npos) return LineOutcome::kUnderstood;
  auto ip = ParseIp(Trim(m.substr(dash + 3)));
  std::string_view what = m.substr(0, dash);
  if (!Contains(what, "authentication failed") && !Contains(what, "login not allowed") &&
      !Contains(what, "APOP")) {
    return LineOutcome::kUnderstood;
  }
  Event e = Failure(rec, "solid-pop3d", "pop3");
  e.client_ip = ip;
  if (auto u = After(what, "user: ")) e.user = std::string(*u);
  if (auto u = After(what, "for user ")) e.user = std::string(UpTo(*u, " "));
  if (StartsWith(what, "root login")) e.user = "root";
  if (Contains(what, "APOP")) e.mechanism = "APOP";
  e.reason = std::string(what);
  return Emit(sink, std::move(e));
}

// --- Webmail -------------------------------------------------------------------------------
LineOutcome ParseRoundcube(const LogRecord& rec, EventSink& sink) {
  bool own_log = StartsWith(rec.raw, "[") && rec.has_ts;
  if (!own_log && !StartsWith(rec.program, "roundcube")) return LineOutcome::kNotMine;
  std::string_view m = rec.message;
  if (!m.empty() && m[0] == '<') m = After(m, "> ").value_or(m);
  std::string_view rest;
  if (auto a = After(m, "FAILED login for ")) {
    rest = *a;
  } else if (auto b = After(m, "Login failed for ")) {
    rest = *b;
  } else if (auto c = After(m, "Failed login for ")) {
    rest = *c;
  } else {
    return rec.program.empty() ? LineOutcome::kNotMine : LineOutcome::kUnderstood;
  }
  Event e = Failure(rec, "roundcube", "webmail");
  e.user = std::string(UpTo(rest, " from "));
  // The client is the last " from " before Roundcube's own ". AUTHENTICATE ..." tail (a user
  // name cannot inject one after it).
  rest = UpTo(rest, ". AUTHENTICATE ");
  size_t at = rest.rfind(" from ");
  std::string_view from = at == std::string_view::npos ? "" : rest.substr(at + 6);
  size_t end = from.find_first_of(" (");
  std::string_view ip = from.substr(0, end);
  if (!ip.empty() && ip.back() == '.') ip.remove_suffix(1);
  e.client_ip = ParseIp(ip);
  return Emit(sink, std::move(e));
}

LineOutcome ParseSogo(const LogRecord& rec, EventSink& sink) {
  if (rec.program != "sogod") return LineOutcome::kNotMine;
  auto a = After(rec.message, "Login from '");
  if (!a || !Contains(*a, "might not have worked")) return LineOutcome::kUnderstood;
  Event e = Failure(rec, "sogo", "webmail");
  e.client_ip = ParseIp(UpTo(UpTo(*a, "'"), ","));  // "client, proxy" lists: the first
  e.user = std::string(UpTo(After(*a, "for user '").value_or(""), "'"));
  return Emit(sink, std::move(e));
}

LineOutcome ParseHorde(const LogRecord& rec, EventSink& sink) {
  if (!Contains(rec.message, "HORDE [") && !StartsWith(rec.message, "HORDE")) {
    return LineOutcome::kNotMine;
  }
  auto a = After(rec.message, "FAILED LOGIN for ");
  if (!a) return LineOutcome::kUnderstood;
  Event e = Failure(rec, "horde", "webmail");
  e.user = std::string(UpTo(*a, " ["));
  e.client_ip = FindBracketIp(*a);
  return Emit(sink, std::move(e));
}

LineOutcome ParseSquirrelmail(const LogRecord& rec, EventSink& sink) {
  std::string_view m = rec.message;
  if (!rec.program.empty() || !Consume(&m, "[LOGIN_ERROR] ")) return LineOutcome::kNotMine;
  Event e = Failure(rec, "squirrelmail", "webmail");
  e.user = std::string(UpTo(m, " "));
  e.client_ip = ParseIp(UpTo(After(m, " from ").value_or(""), ":"));
  return Emit(sink, std::move(e));
}

LineOutcome ParseOpenWebmail(const LogRecord& rec, EventSink& sink) {
  std::string_view m = rec.message;
  if (!rec.program.empty() || !Consume(&m, "- [")) return LineOutcome::kNotMine;
  std::string_view rest = After(m, "] (").value_or("");
  if (rest.empty()) return LineOutcome::kNotMine;
  if (!Contains(rest, "login error") && !Contains(rest, "userinfo error")) {
    return LineOutcome::kUnderstood;
  }
  Event e = Failure(rec, "openwebmail", "webmail");
  e.client_ip = ParseIp(UpTo(rest, ")"));
  e.user = std::string(UpTo(After(rest, ") ").value_or(""), " - "));
  return Emit(sink, std::move(e));
}

struct Entry {
  const char* name;
  ParseFn fn;
};
constexpr Entry kParsers[] = {
    {"courier", ParseCourier},
    {"qmail", ParseQmail},
    {"cyrus", ParseCyrus},
    {"uw-imap", ParseUwImap},
    {"oracleims", ParseOracleIms},
    {"perdition", ParsePerdition},
    {"solid-pop3d", ParseSolidPop3d},
    {"sogo", ParseSogo},
    {"horde", ParseHorde},
    {"roundcube", ParseRoundcube},
    {"kerio", ParseKerio},
    {"domino", ParseDomino},
    {"assp", ParseAssp},
    {"squirrelmail", ParseSquirrelmail},
    {"openwebmail", ParseOpenWebmail},
};

}  // namespace

std::vector<std::string> LoginParserNames() {
  std::vector<std::string> names;
  for (const auto& p : kParsers) names.emplace_back(p.name);
  return names;
}

std::unique_ptr<LogParser> MakeLoginParser(std::string_view name) {
  for (const auto& p : kParsers) {
    if (name == p.name) return std::make_unique<FunctionParser>(p.name, p.fn);
  }
  return nullptr;
}

}  // namespace mxir::logs
