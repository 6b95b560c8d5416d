#include "logs/sendmail_parser.h"

#include "logs/mta_common.h"
#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

bool IsSendmail(std::string_view program) {
  return program == "sendmail" || StartsWith(program, "sm-") || program == "sm-mta";
}

// sendmail queue ids: 14 letters/digits ("s1GNXHYB005133") followed by ": ".
bool SplitQueueId(std::string_view m, std::string_view* id, std::string_view* rest) {
  size_t colon = m.find(": ");
  if (colon == std::string_view::npos || colon < 8 || colon > 20) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = m[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  *id = m.substr(0, colon);
  *rest = m.substr(colon + 2);
  return true;
}

// "relay=host [ip]" or "relay=[ip]" (may be forged); the bracketed address.
std::optional<IpAddress> RelayIp(std::string_view m) {
  // The last "relay=" is sendmail's own (a user name cannot inject one after it).
  size_t at = m.rfind("relay=");
  if (at == std::string_view::npos) return std::nullopt;
  return FindBracketIp(UpTo(m.substr(at + 6), ", "));
}

}  // namespace

LineOutcome SendmailParser::Parse(const LogRecord& rec, EventSink& sink) {
  if (!IsSendmail(rec.program)) return LineOutcome::kNotMine;
  std::string_view m = rec.message;
  std::string_view qid, rest;
  if (SplitQueueId(m, &qid, &rest)) m = rest;
  std::optional<IpAddress> relay_ip = RelayIp(m);
  if (relay_ip && !qid.empty()) {
    if (client_of_queue_.size() >= kMaxOpen) client_of_queue_.clear();
    client_of_queue_.insert_or_assign(std::string(qid), *relay_ip);
  }
  auto known_client = [&]() -> std::optional<IpAddress> {
    if (relay_ip) return relay_ip;
    auto it = client_of_queue_.find(std::string(qid));
    if (it != client_of_queue_.end()) return it->second;
    return std::nullopt;
  };
  Event e = MakeEvent(rec, "sendmail", EventKind::kReply);
  e.protocol = "smtp";
  if (!qid.empty()) e.queue_id = std::string(qid);
  if (auto auth = After(m, "AUTH failure (")) {
    e.kind = EventKind::kAuth;
    e.mechanism = std::string(UpTo(*auth, ")"));
    for (char& c : e.mechanism) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    e.client_ip = known_client();
    if (auto user = Field(m, "user=")) e.user = std::string(*user);
    e.outcome = "failure";
    e.code = 535;
    e.reason = std::string(Trim(UpTo(After(*auth, "): ").value_or(""), " (")));
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (auto attack = After(m, "possible SMTP attack: ")) {
    e.client_ip = FindBracketIp(m);
    e.command = std::string(Field(*attack, "command=").value_or(""));
    e.text = "possible SMTP attack";
    if (auto count = Field(*attack, "count=")) e.text.append(", count=").append(*count);
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (auto ruleset = Field(m, "ruleset=")) {
    auto reject = After(m, "reject=");
    if (!reject) return LineOutcome::kUnderstood;
    e.client_ip = known_client();
    if (*ruleset == "check_rcpt") {
      e.command = "RCPT";
      e.rcpt_to = std::string(Field(m, "arg1=").value_or(""));
    } else if (*ruleset == "check_mail") {
      e.command = "MAIL";
      e.mail_from = std::string(Field(m, "arg1=").value_or(""));
    } else if (*ruleset == "check_relay") {
      e.command = "CONNECT";
      if (!e.client_ip) e.client_ip = ParseIp(Field(m, "arg2=").value_or(""));
    }
    int code = 0;
    std::string_view enh, text;
    if (ParseReply(*reject, &code, &enh, &text)) {
      e.code = code;
      e.enhanced = std::string(enh);
      e.text = std::string(text);
    } else {
      e.text = std::string(*reject);
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(m, "rejecting commands from ")) {
    e.client_ip = FindBracketIp(m);
    e.text = std::string(Trim(After(m, "due to ").value_or(m)));
    e.command = "CONNECT";
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Contains(m, " did not issue MAIL/EXPN/VRFY/ETRN") || StartsWith(m, "lost input channel")) {
    e.client_ip = FindBracketIp(m);
    e.text = Contains(m, "did not issue") ? "did not issue MAIL/EXPN/VRFY/ETRN"
                                          : std::string(Trim(UpTo(m, " from ")));
    if (auto after = After(m, " after ")) e.command = std::string(UpTo(*after, " "));
    for (char& c : e.command) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Contains(m, " [rejected]")) {  // "[ip]: EXPN root [rejected]"
    e.client_ip = FindBracketIp(m);
    std::string_view cmd = UpTo(After(m, "]: ").value_or(""), " ");
    e.command.assign(cmd);
    for (char& c : e.command) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    e.text = std::string(m);
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (Contains(m, "... User unknown") || Contains(m, "... No such user here") ||
      Contains(m, "... Relaying denied")) {
    e.client_ip = known_client();
    e.command = "RCPT";
    e.code = 550;
    std::string_view to = UpTo(m, "...");
    if (!to.empty() && to.front() == '<') to = to.substr(1, to.size() - 2);
    e.rcpt_to = std::string(to);
    e.text = std::string(Trim(After(m, "... ").value_or("")));
    if (!e.client_ip) return LineOutcome::kUnderstood;
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(m, "from=")) {
    e.kind = EventKind::kMail;
    e.client_ip = relay_ip;
    e.mail_from = std::string(Field(m, "from=").value_or(""));
    bool none_accepted = Field(m, "nrcpts=") == std::optional<std::string_view>("0");
    Event refused = e;
    sink.Emit(std::move(e));
    if (none_accepted && refused.client_ip) {
      // Every recipient was refused: the client's transaction failed as a whole.
      refused.kind = EventKind::kReply;
      refused.command = "RCPT";
      refused.text = "no recipient accepted (nrcpts=0)";
      sink.Emit(std::move(refused));
    }
    return LineOutcome::kUnderstood;
  }
  if (StartsWith(m, "to=")) {
    auto stat = Field(m, "stat=");
    if (!stat) return LineOutcome::kNotUnderstood;
    e.kind = EventKind::kDelivery;
    e.client_ip.reset();
    e.rcpt_to = std::string(Field(m, "to=").value_or(""));
    e.relay = std::string(UpTo(After(m, "relay=").value_or(""), ","));
    e.status = *stat == "Sent" ? "sent" : StartsWith(*stat, "Deferred") ? "deferred" : "bounced";
    if (auto dsn = Field(m, "dsn=")) e.enhanced = std::string(*dsn);
    e.text = std::string(Trim(After(m, "stat=").value_or("")));
    sink.Emit(std::move(e));
    return LineOutcome::kUnderstood;
  }
  return LineOutcome::kUnderstood;
}

}  // namespace mxir::logs
