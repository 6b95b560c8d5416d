#include "detect/evidence.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <type_traits>

#include "detect/auth_merge.h"
#include "detect/evidence_order.h"
#include "detect/locality.h"
#include "detect/message_merge.h"
#include "detect/reply_text.h"

namespace mxir::detect {

namespace {

// ASCII lower case: `s` itself when it has no upper case, else a copy in `buf` (reused).
std::string_view Lower(std::string_view s, std::string& buf) {
  size_t i = 0;
  while (i < s.size() && !(s[i] >= 'A' && s[i] <= 'Z')) ++i;
  if (i == s.size()) return s;
  buf.assign(s);
  LowerAsciiInPlace(&buf);
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

void EvidenceCollector::SettleQueuedMessages() {
  // A message left in the queue at the end of one read and seen again in a later read (the log
  // grew: delivered, bounced, expired, or still queued with more known) is one message: the later
  // outcome replaces the queued record; of several queued records the last read is kept. The
  // messages before queue_settled_ were settled by an earlier Finalize (at most one per key).
  if (queue_settled_ >= raw_messages_.size()) return;
  bool any_new_key = false;
  for (size_t i = queue_settled_; i < raw_messages_.size() && !any_new_key; ++i) {
    any_new_key = raw_messages_[i].queue_key != kNone;
  }
  if (!any_new_key) {
    queue_settled_ = raw_messages_.size();
    return;
  }
  std::unordered_map<uint32_t, size_t> kept;  // queue_key -> index of the record kept
  std::vector<bool> drop(raw_messages_.size(), false);
  for (size_t i = 0; i < raw_messages_.size(); ++i) {
    const MessageRec& m = raw_messages_[i];
    if (m.queue_key == kNone) continue;
    auto [it, fresh] = kept.emplace(m.queue_key, i);
    if (fresh) continue;
    const MessageRec& k = raw_messages_[it->second];
    // A message that left beats one still queued; among queued ones the later read wins; of two
    // that left (the same message read twice under different identities) the first stays.
    const bool replace = k.queued && (!m.queued || i > it->second);
    if (replace) {
      drop[it->second] = true;
      it->second = i;
    } else {
      drop[i] = true;
    }
    if (k.queued || m.queued) ++queued_superseded_;
  }
  JoinContinuedMessages(&drop);
  size_t out = 0;
  for (size_t i = 0; i < raw_messages_.size(); ++i) {
    if (!drop[i]) raw_messages_[out++] = raw_messages_[i];
  }
  raw_messages_.resize(out);
  queue_settled_ = out;
  if (queued_superseded_) counters_.Set("queued_messages_seen_leaving_later", queued_superseded_);
}

void EvidenceCollector::JoinContinuedMessages(std::vector<bool>* drop) {
  // A log read in pieces that are separate files (mail.log.1, then mail.log after rotation): the
  // first file leaves the message queued, the second sees only its end (deliveries, removal) and
  // marks that record `continued`. Its first-seen time is not the queued record's, so the keys
  // differ; join them by host and queue id instead. While a message is in the queue its queue
  // file holds the id, so the next record of that id after the queued one is the same message.
  std::unordered_map<std::string_view, std::vector<size_t>> queued_by_id;  // host + queue id
  auto id_of = [&](const MessageRec& m) {
    std::string_view key = ev_.texts.Get(m.queue_key);
    size_t sp = key.rfind(' ');
    return sp == std::string_view::npos ? key : key.substr(0, sp);
  };
  bool any_continued = false;
  for (size_t i = 0; i < raw_messages_.size(); ++i) {
    const MessageRec& m = raw_messages_[i];
    if ((*drop)[i] || m.queue_key == kNone) continue;
    if (m.queued) queued_by_id[id_of(m)].push_back(i);
    any_continued = any_continued || m.continued;
  }
  if (!any_continued || queued_by_id.empty()) return;
  for (size_t i = 0; i < raw_messages_.size(); ++i) {
    MessageRec& c = raw_messages_[i];
    if ((*drop)[i] || !c.continued || c.queue_key == kNone) continue;
    auto it = queued_by_id.find(id_of(c));
    if (it == queued_by_id.end()) continue;
    size_t best = SIZE_MAX;
    for (size_t q : it->second) {
      const MessageRec& k = raw_messages_[q];
      if (q == i || (*drop)[q] || !k.queued || k.ts >= c.ts) continue;
      if (best == SIZE_MAX || k.ts > raw_messages_[best].ts) best = q;
    }
    if (best == SIZE_MAX) continue;
    MessageRec& q = raw_messages_[best];
    // The queued record knows the start (client, account, sender, size, Message-ID); the
    // continued one how it ended. Still queued in the later read: the earlier record stays.
    if (!c.queued) {
      q.queued = false;
      q.accepted = c.accepted;
    }
    // Recipients: those of the start and those only the later file named (a deferral or a
    // delivery after the rotation), each once, as a new range.
    std::vector<RecipientRef> merged(ev_.recipients.begin() + q.rcpt_begin,
                                     ev_.recipients.begin() + q.rcpt_begin + q.rcpt_count);
    const size_t known = merged.size();
    for (uint32_t r = c.rcpt_begin; r < c.rcpt_begin + c.rcpt_count; ++r) {
      const RecipientRef& add = ev_.recipients[r];
      bool seen = false;
      for (size_t k = 0; k < known && !seen; ++k) seen = merged[k].address == add.address;
      if (!seen) merged.push_back(add);
    }
    if (merged.size() > known) {
      q.rcpt_begin = static_cast<uint32_t>(ev_.recipients.size());
      q.rcpt_count = static_cast<uint32_t>(merged.size());
      ev_.recipients.insert(ev_.recipients.end(), merged.begin(), merged.end());
    }
    q.sources |= c.sources;
    (*drop)[i] = true;
    ++queued_superseded_;
  }
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

void EvidenceCollector::FoldWindowsLogonNames() {
  // Exchange Server logs a successful login under the Windows logon name (ACME\bob) while its
  // failures, the audit logs and the mail name the account as typed (bob@acme.example): the
  // same account when exactly one address account of the input has that local part.
  std::unordered_map<std::string_view, uint32_t> by_local;  // local part -> account, kNone if 2+
  bool any_windows = false;
  for (uint32_t u = 0; u < ev_.users.size(); ++u) {
    std::string_view name = ev_.users.Get(u);
    const size_t at = name.find('@');
    if (at == std::string_view::npos) {
      any_windows = any_windows || name.find('\\') != std::string_view::npos;
      continue;
    }
    auto [it, added] = by_local.emplace(name.substr(0, at), u);
    if (!added && it->second != u) it->second = kNone;
  }
  if (!any_windows) return;
  std::vector<uint32_t> alias(ev_.users.size());
  bool folded = false;
  int64_t names_folded = 0;
  for (uint32_t u = 0; u < alias.size(); ++u) {
    alias[u] = u;
    std::string_view name = ev_.users.Get(u);
    const size_t slash = name.rfind('\\');
    if (slash == std::string_view::npos || name.find('@') != std::string_view::npos) continue;
    auto it = by_local.find(name.substr(slash + 1));
    if (it == by_local.end() || it->second == kNone) continue;
    alias[u] = it->second;
    folded = true;
    ++names_folded;
  }
  if (!folded) return;
  raw_names_changed_ = true;
  counters_.Set("windows_logon_names_folded", names_folded);  // Set: Finalize may run again
  auto map = [&](uint32_t& u) {
    if (u != kNone) u = alias[u];
  };
  for (auto& a : raw_attempts_) map(a.user);
  for (auto& s : ev_.session_recs) map(s.user);
  for (auto& m : raw_messages_) map(m.user);
  for (auto& r : ev_.rejects) map(r.user);
  for (auto& h : ev_.hosted_logins) map(h.user);
  for (auto& c : ev_.mailbox_changes) map(c.user);
  for (auto& [q, u] : queue_user_) map(u);
}

void EvidenceCollector::NumberPairs() {
  if (pair_slots_.empty()) {
    pair_slots_.resize(1024);
    pair_shift_ = 64 - 10;
  }
  auto home = [&](uint64_t k) {
    return static_cast<size_t>((k * 0x9E3779B97F4A7C15ULL) >> pair_shift_);
  };
  auto id_of = [&](uint64_t k) {
    size_t mask = pair_slots_.size() - 1;
    size_t s = home(k);
    while (pair_slots_[s].id != kNone && pair_slots_[s].key != k) s = (s + 1) & mask;
    if (pair_slots_[s].id != kNone) return pair_slots_[s].id;
    const auto id = static_cast<uint32_t>(ev_.pair_keys.size());
    ev_.pair_keys.push_back(k);
    pair_slots_[s] = {k, id};
    if (ev_.pair_keys.size() * 2 > pair_slots_.size()) {
      std::vector<PairSlot, HugePageAllocator<PairSlot>> old(pair_slots_.size() * 2);
      old.swap(pair_slots_);
      --pair_shift_;
      mask = pair_slots_.size() - 1;
      for (const PairSlot& o : old) {
        if (o.id == kNone) continue;
        size_t t = home(o.key);
        while (pair_slots_[t].id != kNone) t = (t + 1) & mask;
        pair_slots_[t] = o;
      }
    }
    return id;
  };
  for (AuthAttempt& a : ev_.attempts) {
    const uint64_t k = (static_cast<uint64_t>(a.client) << 32) | a.user;
    if (a.pair < ev_.pair_keys.size() && ev_.pair_keys[a.pair] == k) continue;
    a.pair = id_of(k);
  }
}

void EvidenceCollector::Finalize() {
  FoldWindowsLogonNames();
  // Bounces whose message is not known yet stay pending for a later call.
  size_t keep = 0;
  for (auto& [queue, ts] : pending_bounces_) {
    auto it = queue_user_.find(queue);
    if (it != queue_user_.end()) {
      ev_.rejects.push_back(RejectRec{ts, it->second, kNone, kNone});
    } else {
      pending_bounces_[keep++] = {std::move(queue), ts};
    }
  }
  pending_bounces_.resize(keep);
  for (RejectRec& r : ev_.rejects) {
    if (r.user == kNone && r.session != kNone) r.user = ev_.session_recs[r.session].user;
  }
  auto by_ts = [](const auto& a, const auto& b) { return a.ts < b.ts; };
  SettleQueuedMessages();
  SortAfterSettled(raw_messages_, by_ts);
  SortAfterSettled(ev_.rejects, by_ts);
  SortAfterSettled(ev_.replies, by_ts);
  SortAfterSettled(ev_.relay_rcpts, by_ts);
  // Ties by content, never by arrival (evidence_order.h).
  const EvidenceOrder by_content(ev_);
  SortAfterSettled(ev_.hosted_logins, by_content);
  SortAfterSettled(ev_.mailbox_changes, by_content);
  // The attempts as added, never merged, in content order; a folded Windows logon name (above)
  // may have changed an account of an earlier call's attempts, which may leave attempts of the
  // same second out of this order. Each such run of equal times is put in order again on its own
  // (a stable insertion sort: the runs are short) — the order a stable sort from the first of
  // them to the end gives, without sorting everything after it.
  std::vector<AuthAttempt>& raw = raw_attempts_;
  const size_t settled = raw_names_changed_ ? std::min(attempts_settled_, raw.size()) : 0;
  raw_names_changed_ = false;
  for (size_t b = 0; b < settled;) {
    size_t e = b + 1;
    while (e < settled && raw[e].ts == raw[b].ts) ++e;
    for (size_t k = b + 1; k < e; ++k) {
      if (!by_content(raw[k], raw[k - 1])) continue;
      AuthAttempt x = raw[k];
      size_t m = k;
      for (; m > b && by_content(x, raw[m - 1]); --m) raw[m] = raw[m - 1];
      raw[m] = x;
    }
    b = e;
  }
  SortAfterSettled(raw, by_content);
  attempts_settled_ = raw.size();
  // Merged again from all of them: an attempt added now may be the better partner of one an
  // earlier call merged (detect --follow gives the findings one run over all events gives).
  auth_folded_ =
      MergeAuthAttempts(raw, ev_.users, merge_window_s_, &ev_.attempts, &attempt_creators_);
  NumberPairs();
  // The next call's merge starts from the raw attempts: each keeps the pair id its merged
  // attempt got, so NumberPairs looks up only the attempts whose pair changed.
  for (size_t j = 0; j < ev_.attempts.size(); ++j)
    raw[attempt_creators_[j]].pair = ev_.attempts[j].pair;
  if (auth_folded_) counters_.Set("auth_merged_across_sources", auth_folded_);
  // Merged again from all of them, like the attempts above.
  messages_folded_ = MergeMessages(raw_messages_, ev_.recipients, merge_window_s_, &ev_.messages);
  if (messages_folded_) counters_.Set("messages_merged_across_sources", messages_folded_);
}

}  // namespace mxir::detect
