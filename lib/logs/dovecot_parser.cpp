#include "logs/dovecot_parser.h"

#include "core/ascii.h"
#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

std::string_view LoginProtocol(std::string_view service) {
  std::string_view p = service.substr(0, service.size() - 6);  // without "-login"
  if (p == "managesieve") return "sieve";
  return p;
}

bool IsLoginService(std::string_view s) {
  return s.size() > 6 && s.substr(s.size() - 6) == "-login";
}

// Strips a "Info: " / "Error: " / "Warning: " / "Debug: " level.
std::string_view StripLevel(std::string_view msg) {
  for (std::string_view level : {"Info: ", "Error: ", "Warning: ", "Debug: ", "Fatal: "}) {
    if (Consume(&msg, level)) break;
  }
  return msg;
}

constexpr std::string_view kBackends[] = {"passwd-file(", "pam(",    "sql(",           "ldap(",
                                          "shadow(",      "passwd(", "checkpassword(", "bsdauth(",
                                          "lua(",         "oauth2(", "static("};

bool IsFailureReason(std::string_view reason) {
  // Dovecot 1.x writes "password mismatch" in lower case.
  return StartsWith(reason, "Password mismatch") || StartsWith(reason, "password mismatch") ||
         StartsWith(reason, "unknown user") || StartsWith(reason, "invalid credentials") ||
         StartsWith(reason, "pam_authenticate() failed") ||
         StartsWith(reason, "Permission denied") || StartsWith(reason, "User not known");
}

}  // namespace

LineOutcome DovecotParser::Parse(const LogRecord& rec, EventSink& sink) {
  std::string_view program = rec.program;
  std::string_view msg = rec.message;
  std::string_view args = rec.pid;
  // PAM's own line, whichever tag carries it ("auth: ", "dovecot: auth-worker(1): ",
  // "dovecot[1]: "): "pam_unix(dovecot:auth): authentication failure; ... rhost=IP user=U".
  if (auto pam = After(msg, "pam_unix(dovecot:auth): ")) return ParsePam(rec, *pam, sink);
  // "dovecot: imap-login: ..." and "dovecot: auth-worker(123): ...": the real tag is inside.
  // Dovecot 1.x writing its own file puts the level first: "dovecot: Info: imap-login: ...".
  if (program == "dovecot" || StartsWith(program, "dovecot/")) {
    msg = StripLevel(msg);
    size_t colon = msg.find(": ");
    if (colon == std::string_view::npos) return LineOutcome::kNotUnderstood;
    std::string_view inner = msg.substr(0, colon);
    msg = msg.substr(colon + 2);
    if (StartsWith(inner, "dovecot: ")) inner.remove_prefix(9);  // "dovecot: dovecot: auth(...)"
    size_t paren = inner.find_first_of("([<");
    program = inner.substr(0, paren);
    args = paren == std::string_view::npos ? std::string_view() : inner.substr(paren + 1);
    if (!args.empty() && (args.back() == ')' || args.back() == ']')) args.remove_suffix(1);
    if (program == "dovecot" && StartsWith(msg, "auth")) {  // "dovecot: dovecot: auth(default): "
      return Parse(LogRecord{rec.raw, rec.has_ts, rec.ts, rec.host, "dovecot", {}, msg}, sink);
    }
  }
  msg = StripLevel(msg);
  if (IsLoginService(program)) return ParseLogin(rec, program, msg, sink);
  if (program == "auth" || program == "auth-worker" || program == "dovecot-auth" ||
      StartsWith(program, "auth-worker")) {
    return ParseAuth(rec, args, msg, sink);
  }
  if (program == "dovecot" || program == "imap" || program == "pop3" || program == "lmtp" ||
      program == "lda" || program == "master" || program == "submission" ||
      program == "managesieve" || program == "config" || program == "anvil") {
    // Mailbox sessions, delivery and process management: Dovecot's, without auth events.
    if (program == "imap" || program == "pop3") {
      return Contains(rec.raw, "badlogin") ? LineOutcome::kNotMine : LineOutcome::kUnderstood;
    }
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kNotMine;
}

LineOutcome DovecotParser::ParseLogin(const LogRecord& rec, std::string_view service,
                                      std::string_view msg, EventSink& sink) {
  Event e = MakeEvent(rec, "dovecot", EventKind::kAuth);
  e.protocol = std::string(LoginProtocol(service));
  // The key=value list follows the last "): " or ": " before "user=" / "rip=".
  size_t fields_at = msg.find("user=<");
  if (fields_at == std::string_view::npos) fields_at = msg.find("rip=");
  if (fields_at == std::string_view::npos) fields_at = msg.find("method=");
  if (fields_at == std::string_view::npos) return LineOutcome::kNotUnderstood;
  std::string_view head = msg.substr(0, fields_at);
  std::string_view fields = msg.substr(fields_at);
  if (auto rip = Field(fields, "rip=")) e.client_ip = ParseIp(*rip);
  if (auto lip = Field(fields, "lip=")) e.server_ip = ParseIp(*lip);
  if (auto rport = Field(fields, "rport=")) {
    if (auto v = ParseInt(*rport)) e.client_port = static_cast<int>(*v);
  }
  if (auto lport = Field(fields, "lport=")) {
    if (auto v = ParseInt(*lport)) e.server_port = static_cast<int>(*v);
  }
  if (auto user = Field(fields, "user=")) e.user = std::string(*user);
  if (auto method = Field(fields, "method=")) e.mechanism = AsciiUpper(*method);
  if (auto session = Field(fields, "session=")) {
    e.session = "dovecot:" + std::string(*session);
  }
  if (StartsWith(msg, "Login: ")) {
    e.outcome = "success";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  std::string_view reason = Trim(head);
  while (!reason.empty() && (reason.back() == ':' || reason.back() == ' ')) reason.remove_suffix(1);
  e.reason = std::string(reason);
  // "(auth failed, N attempts in S secs)" (2.x) and "Aborted login (N authentication
  // attempts)" (1.x, where only a failed attempt leaves a client without a login): N failures.
  std::optional<std::string_view> failed = After(head, "(auth failed, ");
  if (!failed && StartsWith(msg, "Aborted login (") && Contains(head, " authentication attempt")) {
    failed = After(head, "(");
    if (ParseInt(UpTo(*failed, " ")).value_or(0) <= 0) failed.reset();
  }
  if (failed) {
    int attempts = 1;
    if (auto n = ParseInt(UpTo(*failed, " "))) attempts = static_cast<int>(*n);
    if (attempts < 1) attempts = 1;
    if (attempts > 1000) attempts = 1000;
    e.outcome = "failure";
    for (int i = 1; i < attempts; ++i) {
      Event copy = e;
      sink.Emit(std::move(copy));
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Contains(head, "proxy dest auth failed")) {
    e.outcome = "failure";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Contains(head, "(tried to use disabled plaintext auth)") ||
      Contains(head, "(tried to use disallowed plaintext auth)") ||
      Contains(head, "(tried to use disallowed ")) {
    e.kind = EventKind::kReply;
    e.command = "AUTH";
    e.text = "plaintext authentication disallowed";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Contains(head, "client didn't finish SASL auth")) {
    e.outcome = "aborted";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(msg, "Disconnected") || StartsWith(msg, "Login aborted") ||
      StartsWith(msg, "Aborted login") || Contains(head, "(no auth attempts") ||
      Contains(head, "TLS handshake") || Contains(head, "closed")) {
    e.kind = EventKind::kSessionEnd;
    e.state = "closed";
    e.mechanism.clear();
    e.user.clear();
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kNotUnderstood;
}

LineOutcome DovecotParser::ParsePam(const LogRecord& rec, std::string_view pam, EventSink& sink) {
  if (!StartsWith(pam, "authentication failure")) return LineOutcome::kUnderstood;
  Event e = MakeEvent(rec, "dovecot", EventKind::kAuth);
  if (auto rhost = Field(pam, "rhost=")) e.client_ip = ParseIp(*rhost);
  // "user=" names the account; without it (PAM leaves it out when the account is unknown to
  // the system) "ruser=" is the name the client gave.
  if (auto user = Field(pam, "user=")) {
    e.user = std::string(*user);
  } else if (auto ruser = Field(pam, "ruser=")) {
    e.user = std::string(*ruser);
  }
  e.outcome = "failure";
  e.reason = "pam_unix: authentication failure";
  sink.Emit(std::move(e));
  return LineOutcome::kUnderstood;
}

LineOutcome DovecotParser::ParseAuth(const LogRecord& rec, std::string_view tag_args,
                                     std::string_view msg, EventSink& sink) {
  Event e = MakeEvent(rec, "dovecot", EventKind::kAuth);
  std::string_view reason;
  std::string_view args;
  size_t at = std::string_view::npos;
  for (std::string_view backend : kBackends) {
    size_t pos = msg.find(backend);
    if (pos != std::string_view::npos && (pos == 0 || msg[pos - 1] == ' ')) {
      at = pos + backend.size();
      break;
    }
  }
  if (at != std::string_view::npos) {
    size_t close = msg.find("): ", at);
    if (close == std::string_view::npos) return LineOutcome::kNotUnderstood;
    args = msg.substr(at, close - at);
    reason = msg.substr(close + 3);
  } else if (Contains(tag_args, ",")) {
    // Dovecot 2.4: "auth(user,ip,sasl:login)<session>: Info: sql: Password mismatch".
    args = tag_args;
    size_t colon = msg.find(": ");
    if (colon == std::string_view::npos) return LineOutcome::kNotUnderstood;
    reason = msg.substr(colon + 2);
    std::string_view rest = args;
    for (int i = 0; i < 2 && !rest.empty(); ++i) rest = After(rest, ",").value_or("");
    if (auto mech = After(rest, "sasl:")) e.mechanism = AsciiUpper(UpTo(*mech, ","));
  } else {
    return LineOutcome::kUnderstood;  // auth process notes without an attempt
  }
  // args: "user,ip[,<session>]" (the user may be empty).
  size_t comma = args.find(',');
  e.user = std::string(args.substr(0, comma));
  if (comma != std::string_view::npos) {
    std::string_view rest = args.substr(comma + 1);
    e.client_ip = ParseIp(UpTo(rest, ","));
    if (auto session = After(rest, "<")) {
      e.session = "dovecot:" + std::string(UpTo(*session, ">"));
    }
  }
  // A backend line with a reason not listed above (checkpassword "Login failed", a new
  // Dovecot wording) is counted as not understood rather than silently taken as handled.
  if (!IsFailureReason(reason)) return LineOutcome::kNotUnderstood;
  e.outcome = "failure";
  if (auto sha = After(reason, "(SHA1 of given password: ")) {
    // Dovecot's logged SHA-1 is an unsalted hash of the attempted password: it is keyed like
    // every other fingerprint and never stored as logged (without a key there is no secret_fp).
    // The scheme prefix stays, so these compare with each other but not with capture's.
    if (fingerprinter_ != nullptr) {
      std::string input = "dovecot-sha1:";
      for (char c : UpTo(*sha, ")")) {
        input += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      e.secret_fp = "dovecot-sha1:" + fingerprinter_->Fingerprint(input);
    }
  }
  if (auto given = After(reason, "(given password: ")) {
    std::string_view secret = given->substr(0, given->rfind(')'));
    if (fingerprinter_ != nullptr) e.secret_fp = fingerprinter_->Fingerprint(secret);
  }
  reason = UpTo(UpTo(reason, " (SHA1 of given password"), " (given password");
  e.reason = std::string(Trim(reason));
  sink.Emit(std::move(e));
  return LineOutcome::kUnderstood;
}

}  // namespace mxir::logs
