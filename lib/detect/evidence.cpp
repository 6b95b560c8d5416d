#include "detect/evidence.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <type_traits>

#include "core/ascii.h"
#include "detect/locality.h"
#include "detect/reply_text.h"

namespace mxir::detect {

namespace {

// ASCII lower case: `s` itself when it has no upper case, else a copy in `buf` (reused).
std::string_view Lower(std::string_view s, std::string& buf) {
  size_t i = 0;
  while (i < s.size() && !(s[i] >= 'A' && s[i] <= 'Z')) ++i;
  if (i == s.size()) return s;
  buf.assign(s);
  AsciiLowerInPlace(&buf);
  return buf;
}

// Sources beyond this many share the last bit (merging then treats them as one source).
constexpr uint32_t kMaxSourceBits = 32;

}  // namespace

std::string Evidence::OriginText(const OriginRef& o) const {
  if (o.file == kNone) return "";
  return std::string(files.Get(o.file)) + (o.packet ? "#" : ":") + std::to_string(o.pos);
}

std::string Evidence::CountryText(uint32_t c) const {
  if (c == kNone || c >= client_country.size() || client_country[c] == 0) return "";
  return {static_cast<char>(client_country[c] >> 8), static_cast<char>(client_country[c] & 0xff)};
}

std::string Evidence::AsnText(uint32_t c) const {
  if (c == kNone || c >= client_asn.size() || client_asn[c] == 0) return "";
  return "AS" + std::to_string(client_asn[c]);
}

std::string_view Evidence::SecretScheme(uint32_t secret) const {
  if (secret == kNone) return "";
  std::string_view s = secrets.Get(secret);
  auto colon = s.rfind(':');
  return colon == std::string_view::npos ? std::string_view() : s.substr(0, colon);
}

uint32_t EvidenceCollector::Client(const std::optional<IpAddress>& ip) {
  if (!ip) return kNone;
  IpAddress a = ip->Unmapped();
  bool added = false;
  const uint32_t index = ev_.client_index.Index(a, &added);
  if (added) {
    ev_.clients.push_back(a);
    ev_.client_country.push_back(0);
    ev_.client_asn.push_back(0);
  }
  return index;
}

uint32_t EvidenceCollector::Session(uint32_t source, const Event& e) {
  if (e.session.empty()) return kNone;
  // A session's events mostly come together: the source's last session needs no lookup.
  if (source >= last_session_.size()) last_session_.resize(source + 1, {std::string(), kNone});
  auto& [last_name, last_index] = last_session_[source];
  if (last_index != kNone && last_name == e.session) return last_index;
  std::string& key = key_buf_;
  key.assign(reinterpret_cast<const char*>(&source), sizeof source);
  key += e.session;
  uint32_t s = ev_.sessions.Index(key);
  last_name = e.session;
  last_index = s;
  if (s == ev_.session_recs.size()) {
    ev_.session_recs.emplace_back();
    ev_.session_recs.back().source = source;
  }
  return s;
}

OriginRef EvidenceCollector::Origin(const Event& e) {
  OriginRef o;
  if (e.origin.file.empty()) return o;
  if (e.origin.line < 0 && e.origin.packet < 0) return o;
  o.file = ev_.files.Intern(e.origin.file);
  o.packet = e.origin.packet >= 0;
  o.pos = static_cast<uint32_t>(o.packet ? e.origin.packet : e.origin.line);
  return o;
}

void EvidenceCollector::Add(const Event& e) {
  // Counted here, named in the counters only once (a lookup by name per event costs).
  if (events_++ == 0) counters_.Add("events", 0);
  const int64_t ts = e.ts.micros();
  std::string_view source_name = e.source.empty() ? std::string_view("unknown") : e.source;
  if (source_name != last_source_name_) {
    last_source_ = ev_.sources.Intern(source_name);
    last_source_name_ = source_name;
  }
  const uint32_t source = last_source_;
  if (source >= last_ts_by_source_.size()) {
    last_ts_by_source_.resize(source + 1, std::numeric_limits<int64_t>::min());
  }
  if (ts < last_ts_by_source_[source]) {
    counters_.Add("out_of_order");  // accepted: everything is sorted in Finalize()
  } else {
    last_ts_by_source_[source] = ts;
  }
  ev_.first_ts = std::min(ev_.first_ts, ts);
  ev_.last_ts = std::max(ev_.last_ts, ts);

  uint32_t client = Client(e.client_ip);
  if (client != kNone && (!e.country.empty() || e.asn)) NoteGeo(client, e);
  uint32_t session = Session(source, e);
  if (session != kNone) {
    SessionRec& s = ev_.session_recs[session];
    if (s.client == kNone) s.client = client;
    if (s.server == kNone && e.server_ip) s.server = Client(e.server_ip);
    s.start = std::min(s.start, ts);
    s.end = std::max(s.end, ts);
    if (s.server_port < 0) s.server_port = e.server_port;
    if (e.protocol == "submission" || e.protocol == "smtps") {
      s.submission = true;
    }
    if (s.origin.file == kNone) s.origin = Origin(e);
  }

  switch (e.kind) {
    case EventKind::kAuth:
      if (!e.error_code.empty() || !e.client_app.empty()) AddHostedLogin(e, client);
      AddAuth(e, source, session, client);
      break;
    case EventKind::kMailboxChange:
      AddMailboxChange(e, client);
      break;
    case EventKind::kMessage:
      AddMessage(e, source, session, client);
      break;
    case EventKind::kRcpt:
      AddRcpt(e, session, client);
      break;
    case EventKind::kReply:
    case EventKind::kDelivery:
      AddRemote(e, client);
      break;
    case EventKind::kTls:
      // A STARTTLS that was never negotiated (SMTP text after the 220) leaves the content
      // visible: the session is not an encrypted one.
      if (session != kNone && e.how != "starttls-not-negotiated") {
        ev_.session_recs[session].tls = true;
      }
      break;
    case EventKind::kHelo:
      if (session != kNone && !e.helo.empty()) {
        ev_.session_recs[session].helo = ev_.texts.Intern(e.helo);
      }
      break;
    case EventKind::kSessionEnd:
      if (session != kNone) {
        SessionRec& s = ev_.session_recs[session];
        s.ended = true;
        if (e.duration_s && *e.duration_s >= 0) s.duration_s = *e.duration_s;
        if (e.bytes_c2s && *e.bytes_c2s >= 0) s.bytes_c2s = *e.bytes_c2s;
      }
      break;
    default:
      break;
  }
}

void EvidenceCollector::NoteGeo(uint32_t client, const Event& e) {
  auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
  if (e.country.size() == 2) {
    auto cc = static_cast<uint16_t>((static_cast<uint8_t>(upper(e.country[0])) << 8) |
                                    static_cast<uint8_t>(upper(e.country[1])));
    uint16_t& have = ev_.client_country[client];
    if (have == 0 || cc < have) have = cc;
  }
  if (e.asn && *e.asn > 0 && *e.asn <= 0xffffffff) {
    auto asn = static_cast<uint32_t>(*e.asn);
    uint32_t& have = ev_.client_asn[client];
    if (have == 0 || asn < have) have = asn;
  }
}

void EvidenceCollector::AddAuth(const Event& e, uint32_t source, uint32_t session,
                                uint32_t client) {
  if (client == kNone) {
    counters_.Add("skipped.auth_without_client_ip");
    return;
  }
  AuthAttempt a;
  a.ts = e.ts.micros();
  a.client = client;
  if (e.outcome == "success") {
    a.outcome = AuthOutcome::kSuccess;
  } else if (e.outcome == "failure") {
    a.outcome = AuthOutcome::kFailure;
  } else if (e.outcome.empty()) {
    counters_.Add("skipped.auth_without_outcome");
    return;
  } else {
    a.outcome = AuthOutcome::kOther;  // aborted, unknown: not evidence of a wrong secret
  }
  if (!e.user.empty()) a.user = ev_.users.Intern(Lower(e.user, lower_buf_));
  if (!e.secret_fp.empty()) {
    a.secret = ev_.secrets.Intern(e.secret_fp);
    if (a.secret == ev_.secret_scheme.size()) {  // a new secret: its scheme's number
      std::string_view scheme = ev_.SecretScheme(a.secret);
      auto it = std::find(ev_.schemes.begin(), ev_.schemes.end(), scheme);
      if (it == ev_.schemes.end()) it = ev_.schemes.emplace(ev_.schemes.end(), scheme);
      ev_.secret_scheme.push_back(static_cast<uint32_t>(it - ev_.schemes.begin()));
    }
  }
  a.session = session;
  a.sources = 1u << std::min(source, kMaxSourceBits - 1);
  a.origin = Origin(e);
  if (session != kNone) {
    SessionRec& s = ev_.session_recs[session];
    s.auth_seen = true;
    if (a.outcome == AuthOutcome::kSuccess) {
      s.auth_success = true;
      if (a.user != kNone) s.user = a.user;
    }
  }
  raw_attempts_.push_back(a);
}

void EvidenceCollector::AddHostedLogin(const Event& e, uint32_t client) {
  if (e.user.empty()) return;
  HostedLoginRec r;
  r.ts = e.ts.micros();
  r.user = ev_.users.Intern(Lower(e.user, lower_buf_));
  r.client = client;
  if (!e.client_app.empty()) r.app = ev_.texts.Intern(e.client_app);
  if (!e.user_agent.empty()) r.agent = ev_.texts.Intern(e.user_agent);
  r.result = ClassifyLoginCode(e.source, e.error_code);
  if (r.result == LoginResult::kNone) {
    r.result = e.outcome == "success"   ? LoginResult::kSuccess
               : e.outcome == "failure" ? LoginResult::kOtherFailure
                                        : LoginResult::kNone;
  }
  r.legacy = IsLegacyAuthClient(e.client_app, e.user_agent);
  r.origin = Origin(e);
  ev_.hosted_logins.push_back(r);
}

void EvidenceCollector::AddMailboxChange(const Event& e, uint32_t client) {
  if (e.user.empty() && e.actor.empty()) {
    counters_.Add("skipped.mailbox_change_without_account");
    return;
  }
  MailboxChangeRec r;
  r.ts = e.ts.micros();
  r.user = ev_.users.Intern(Lower(e.user.empty() ? e.actor : e.user, lower_buf_));
  r.client = client;
  r.actor = e.actor;
  r.operation = e.operation;
  r.parameters = e.parameters;
  r.failed = e.outcome == "failure";
  r.origin = Origin(e);
  ev_.mailbox_changes.push_back(std::move(r));
}

void EvidenceCollector::AddMessage(const Event& e, uint32_t source, uint32_t session,
                                   uint32_t client) {
  MessageRec m;
  m.sources = 1u << std::min(source, kMaxSourceBits - 1);
  if (!e.msg_id.empty()) {
    std::string_view id = e.msg_id;
    if (id.front() == '<') id.remove_prefix(1);
    if (!id.empty() && id.back() == '>') id.remove_suffix(1);
    if (!id.empty()) m.msg_id = ev_.texts.Intern(id);
  }
  const std::string_view sender_bare =
      e.mail_from.empty() ? std::string_view() : BareAddressView(e.mail_from, &sender_buf_);
  if (!e.mail_from.empty()) m.sender = ev_.addresses.Index(sender_bare);
  const std::string_view from_bare =
      e.header_from.empty() ? std::string_view() : BareAddressView(e.header_from, &from_buf_);
  m.ts = e.ts.micros();
  m.client = client;
  m.session = session;
  if (!e.user.empty()) m.user = ev_.users.Intern(Lower(e.user, lower_buf_));
  std::string_view sender = DomainPart(sender_bare);
  if (sender.empty()) sender = DomainPart(from_bare);
  if (!sender.empty()) m.sender_domain = ev_.domains.Intern(sender);
  if (!e.subject.empty()) m.subject = ev_.texts.Intern(e.subject);
  if (m.user != kNone && !e.header_from.empty()) {
    std::string_view from = from_bare;
    std::string_view user = ev_.users.Get(m.user);
    if (size_t slash = user.rfind('\\'); slash != std::string_view::npos) {
      user.remove_prefix(slash + 1);  // a Windows logon name: ACME\bob is bob
    }
    if (user.find('@') != std::string::npos) {
      m.from_mismatch = from != user;
    } else {
      m.from_mismatch = from.substr(0, from.find('@')) != user;
    }
  }
  m.accepted = e.accepted.value_or(!e.code || (*e.code >= 200 && *e.code < 300));
  m.rcpt_begin = static_cast<uint32_t>(ev_.recipients.size());
  for (const auto& r : e.recipients) {
    std::string_view bare = BareAddressView(r, &bare_buf_);
    std::string_view domain = DomainPart(bare);
    ev_.recipients.push_back(RecipientRef{domain.empty() ? kNone : ev_.domains.Intern(domain),
                                          ev_.addresses.Index(bare)});
  }
  m.rcpt_count = static_cast<uint32_t>(ev_.recipients.size()) - m.rcpt_begin;
  m.origin = Origin(e);
  if (!e.queue_id.empty() && m.user != kNone) queue_user_[e.queue_id] = m.user;
  m.queued = e.state == "queued";
  m.continued = e.continued.value_or(false);
  if (!e.queue_id.empty()) {
    // One message of one MTA: its host, queue id and the time the queue first saw it (a
    // queue id is reused after a while; the first-seen time of one message is the same in
    // every read of the log that has its first line).
    key_buf_.assign(e.server_name);
    key_buf_.push_back(' ');
    key_buf_.append(e.queue_id);
    key_buf_.push_back(' ');
    key_buf_.append(std::to_string(e.ts.micros()));
    m.queue_key = ev_.texts.Intern(key_buf_);
  }
  raw_messages_.push_back(m);
}

void EvidenceCollector::AddRcpt(const Event& e, uint32_t session, uint32_t client) {
  if (e.rcpt_to.empty()) {
    counters_.Add("skipped.rcpt_without_address");
    return;
  }
  bool accepted = e.accepted.value_or(e.code && *e.code >= 200 && *e.code < 300);
  std::string_view bare = BareAddressView(e.rcpt_to, &bare_buf_);
  if (!accepted) {
    RejectRec r{e.ts.micros(), e.user.empty() ? kNone : ev_.users.Intern(Lower(e.user, lower_buf_)),
                client, session};
    ev_.rejects.push_back(r);
    if (!e.text.empty()) AddRemote(e, client);  // a refusal may cite a blocklist
    return;
  }
  if (session == kNone) return;
  std::string_view domain = DomainPart(bare);
  ev_.relay_rcpts.push_back(Evidence::RelayRcpt{e.ts.micros(), session, client,
                                                domain.empty() ? kNone : ev_.domains.Intern(domain),
                                                ev_.addresses.Index(bare), Origin(e)});
}

void EvidenceCollector::AddRemote(const Event& e, uint32_t client) {
  bool refused = e.kind == EventKind::kDelivery ? (e.status == "bounced" || e.status == "deferred")
                                                : (e.code && *e.code >= 400);
  if (!refused) return;
  if (e.kind == EventKind::kDelivery && e.status == "bounced" && !e.queue_id.empty()) {
    pending_bounces_.emplace_back(e.queue_id, e.ts.micros());
  }
  std::string text = e.text;
  if (text.empty()) return;
  RemoteReply r;
  r.ts = e.ts.micros();
  r.client = client;
  r.code = e.code.value_or(0);
  r.delivery = e.kind == EventKind::kDelivery;
  r.origin = Origin(e);
  if (auto cite = FindBlocklistCitation(text)) {
    r.kind = RemoteReplyKind::kBlocklist;
    r.list = cite->list;
    r.listed_ip = cite->listed_ip;
  } else if (IsThrottleReply(r.code, e.enhanced, text)) {
    r.kind = RemoteReplyKind::kThrottle;
  } else {
    return;
  }
  if (!e.relay.empty()) {
    r.remote = e.relay;
  } else if (e.server_ip) {
    r.remote = e.server_ip->ToString();
  }
  r.text = text.substr(0, 300);
  ev_.replies.push_back(std::move(r));
}

}  // namespace mxir::detect
