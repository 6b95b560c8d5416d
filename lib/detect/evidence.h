// Evidence: the compact, source-neutral facts the detectors work on, collected from Events.
//
// EvidenceCollector::Add() takes Events in any order (capture and ingest outputs may simply be
// concatenated); it keeps only what detection needs, in small fixed-size records with interned
// strings, so 10 M events fit in well under 2 GB. Finalize() sorts everything by time and merges
// AUTH attempts seen by several sources (see auth_merge.h), so the result depends only on the
// set of events, never on their order: batch, pipe and --follow give the same findings. It also
// folds a Windows logon name (ACME\bob, as Exchange Server logs a successful login) into the
// address account with that local part (bob@acme.example) when the input has exactly one.
//
// Bad events (missing fields a kind needs, unusable values) are counted in the Counters under
// "skipped.<reason>" and otherwise ignored. Not thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/counters.h"
#include "core/event.h"
#include "core/ip_address.h"
#include "core/provider_codes.h"
#include "detect/address_index.h"
#include "detect/huge_page_allocator.h"
#include "detect/interner.h"
#include "detect/key_index.h"

namespace mxir::detect {

// Where a record came from: "file:line" or "file#packet" (for evidence samples).
struct OriginRef {
  uint32_t file = kNone;
  uint32_t pos = 0;
  bool packet = false;
};

enum class AuthOutcome : uint8_t { kSuccess, kFailure, kOther };

struct AuthAttempt {
  int64_t ts = 0;
  uint32_t client = kNone;   // Evidence::clients
  uint32_t user = kNone;     // Evidence::users
  uint32_t session = kNone;  // Evidence::sessions
  uint32_t secret = kNone;   // Evidence::secrets
  uint32_t sources = 0;      // bit i = Evidence::sources[i]
  // Its (client, account) pair's dense id (Evidence::pair_keys), given by Finalize(); an id whose
  // key is not this attempt's (client, user) any more (a merge or a folded name changed the
  // account) is given again.
  uint32_t pair = kNone;
  AuthOutcome outcome = AuthOutcome::kOther;
  OriginRef origin;
};

struct SessionRec {
  uint32_t client = kNone;
  uint32_t server = kNone;  // Evidence::clients holds server addresses too
  uint32_t source = 0;
  uint32_t helo = kNone;  // Evidence::texts
  int64_t start = std::numeric_limits<int64_t>::max();
  int64_t end = std::numeric_limits<int64_t>::min();
  int server_port = -1;
  bool tls = false;
  uint32_t user = kNone;  // the account of the session's successful login
  bool auth_seen = false;
  bool auth_success = false;
  bool submission = false;  // protocol submission or smtps
  bool ended = false;
  double duration_s = -1;
  int64_t bytes_c2s = -1;  // from session_end, -1 when unknown
  OriginRef origin;
};

struct MessageRec {
  int64_t ts = 0;
  uint32_t client = kNone;
  uint32_t user = kNone;  // authenticated account
  uint32_t session = kNone;
  uint32_t sender_domain = kNone;  // Evidence::domains: envelope sender domain (else header From)
  uint32_t subject = kNone;        // Evidence::texts
  uint32_t msg_id = kNone;         // Evidence::texts: Message-ID without <>
  uint32_t sender = kNone;         // Evidence::addresses: envelope sender address
  uint32_t sources = 0;            // bit i = Evidence::sources[i]
  uint32_t rcpt_begin = 0, rcpt_count = 0;  // into Evidence::recipients
  bool from_mismatch = false;               // header From is not the authenticated account
  bool accepted = true;
  // A message an MTA log left in its queue at the end of a read (`state: queued`); the same
  // message seen leaving in a later read of the grown log replaces it (see queue_key).
  bool queued = false;
  // Its log began after the message was queued (`continued`: a rotated log's later file): it
  // completes the queued record of the same host and queue id from an earlier read.
  bool continued = false;
  uint32_t queue_key = kNone;  // Evidence::texts: "host queue-id first-seen" of a logged message
  OriginRef origin;
};

// One recipient the server refused (rcpt event) or that bounced later (delivery event).
struct RejectRec {
  int64_t ts = 0;
  uint32_t user = kNone;  // the account; from the session's login when the event has none
  uint32_t client = kNone;
  uint32_t session = kNone;
};

enum class RemoteReplyKind : uint8_t { kBlocklist, kThrottle };

// A remote server refusing or deferring our mail (delivery) or our client (reply).
struct RemoteReply {
  int64_t ts = 0;
  RemoteReplyKind kind = RemoteReplyKind::kThrottle;
  bool delivery = false;    // a delivery event (our MTA's own outgoing mail)
  uint32_t client = kNone;  // our host that was refused, when known
  std::string remote;       // relay or server address
  std::string list;         // blocklist named in the text
  std::string listed_ip;    // IP named in the text
  int code = 0;
  std::string text;
  OriginRef origin;
};

// A recipient of a message, or an accepted RCPT, in its domain form.
struct RecipientRef {
  uint32_t domain = kNone;   // Evidence::domains
  uint32_t address = kNone;  // Evidence::addresses
};

// A login reported by a hosted-mail provider (Entra ID, Microsoft 365, Google, Exchange), with
// what its own result code says about the password (core/provider_codes.h).
struct HostedLoginRec {
  int64_t ts = 0;
  uint32_t user = kNone;    // Evidence::users
  uint32_t client = kNone;  // Evidence::clients (may be kNone)
  uint32_t app = kNone;     // Evidence::texts: client application ("Authenticated SMTP")
  uint32_t agent = kNone;   // Evidence::texts: user agent
  LoginResult result = LoginResult::kNone;
  bool legacy = false;  // basic authentication over a legacy protocol
  OriginRef origin;
};

// A change to a mailbox from an audit log (mailbox_change events).
struct MailboxChangeRec {
  int64_t ts = 0;
  uint32_t user = kNone;    // Evidence::users: whose mailbox
  uint32_t client = kNone;  // Evidence::clients
  std::string actor, operation;
  std::vector<std::pair<std::string, std::string>> parameters;
  bool failed = false;
  OriginRef origin;
};

struct Evidence {
  Interner sources, users, secrets, files;
  KeyIndex sessions;   // (source, session id) -> index into session_recs
  Interner domains;    // domains of senders and recipients (lower case)
  KeyIndex addresses;  // bare envelope addresses (lower case); only compared, never shown
  Interner texts;      // HELO names, subjects, Message-IDs
  std::vector<IpAddress> clients;
  AddressIndex client_index;  // address -> index into clients
  // Per client (index into clients): its country (the two ASCII letters packed, 0 unknown) and
  // autonomous system number (0 unknown), from the events' country/asn (the source's or a
  // GeoIP file's). When events disagree the smallest value is kept (order-independent).
  std::vector<uint16_t> client_country;
  std::vector<uint32_t> client_asn;

  std::vector<AuthAttempt> attempts;  // merged after Finalize(), time order
  std::vector<SessionRec> session_recs;
  std::vector<MessageRec> messages;  // time order after Finalize()
  std::vector<RecipientRef> recipients;
  std::vector<RejectRec> rejects;
  std::vector<RemoteReply> replies;
  // Accepted RCPTs of unauthenticated sessions (open relay candidates without a message event).
  struct RelayRcpt {
    int64_t ts;
    uint32_t session, client, domain, address;
    OriginRef origin;
  };
  std::vector<RelayRcpt> relay_rcpts;
  std::vector<HostedLoginRec> hosted_logins;      // time order after Finalize()
  std::vector<MailboxChangeRec> mailbox_changes;  // time order after Finalize()

  // Per pair id (AuthAttempt::pair): its key, client << 32 | user. Ids are given once and kept
  // from one Finalize() to the next (detect --follow), so a pass looks up only the attempts that
  // are new or changed; a pair no attempt has any more keeps its id unused.
  std::vector<uint64_t> pair_keys;

  int64_t first_ts = std::numeric_limits<int64_t>::max();
  int64_t last_ts = std::numeric_limits<int64_t>::min();

  std::string ClientText(uint32_t c) const { return c == kNone ? "" : clients[c].ToString(); }
  std::string UserText(uint32_t u) const {
    return u == kNone ? std::string() : std::string(users.Get(u));
  }
  std::string OriginText(const OriginRef& o) const;
  // "DE", or "" when unknown; "AS64500", or "" when unknown.
  std::string CountryText(uint32_t client) const;
  std::string AsnText(uint32_t client) const;
  // Secret scheme: "" for mxir's own HMAC fingerprints, "dovecot-sha1" for "dovecot-sha1:...".
  std::string_view SecretScheme(uint32_t secret) const;
  // The schemes seen, and per Evidence::secrets index its scheme's place there (filled as the
  // secrets are interned, so a detector compares small numbers instead of texts).
  std::vector<std::string> schemes;
  std::vector<uint32_t> secret_scheme;
};

class EvidenceCollector {
 public:
  explicit EvidenceCollector(double merge_window_s) : merge_window_s_(merge_window_s) {}

  void Add(const Event& e);
  // Sorts and merges what was added. May be called again after more Add()s (detect --follow):
  // each call settles the evidence added since, as one call after all of it would.
  void Finalize();

  const Evidence& evidence() const { return ev_; }
  Counters& counters() {
    if (events_ > 0) counters_.Set("events", events_);
    return counters_;
  }

 private:
  uint32_t Client(const std::optional<IpAddress>& ip);
  uint32_t Session(uint32_t source, const Event& e);
  void NoteGeo(uint32_t client, const Event& e);
  void FoldWindowsLogonNames();
  OriginRef Origin(const Event& e);
  void AddAuth(const Event& e, uint32_t source, uint32_t session, uint32_t client);
  void AddMessage(const Event& e, uint32_t source, uint32_t session, uint32_t client);
  void AddRcpt(const Event& e, uint32_t session, uint32_t client);
  void AddRemote(const Event& e, uint32_t client);
  void AddHostedLogin(const Event& e, uint32_t client);
  void AddMailboxChange(const Event& e, uint32_t client);

  double merge_window_s_;
  Evidence ev_;
  Counters counters_;
  std::unordered_map<std::string, uint32_t> queue_user_;  // queue id -> user (from messages)
  std::vector<std::pair<std::string, int64_t>> pending_bounces_;  // queue id, ts
  std::vector<int64_t> last_ts_by_source_;
  int64_t events_ = 0;
  std::string key_buf_, lower_buf_, bare_buf_, sender_buf_, from_buf_;  // reused per event
  std::string last_source_name_;  // and its index: the source rarely changes between events
  uint32_t last_source_ = kNone;
  std::vector<std::pair<std::string, uint32_t>> last_session_;  // per source: name, index
  int64_t auth_folded_ = 0;        // attempts merged across sources (by the last Finalize: all)
  int64_t messages_folded_ = 0;    // messages merged across sources, over every Finalize
  int64_t queued_superseded_ = 0;  // queued messages replaced by a later read of the same message
  size_t queue_settled_ = 0;       // messages already checked by SettleQueuedMessages
  // The login attempts as added (never merged; content order after Finalize), for the merge of
  // every Finalize; attempt_creators_[j]: the raw attempt Evidence::attempts[j] began as.
  std::vector<AuthAttempt> raw_attempts_;
  // The messages as added and settled (a queued record replaced by its later outcome, a
  // continued record joined), never merged across sources; time order after Finalize.
  std::vector<MessageRec> raw_messages_;
  std::vector<uint32_t> attempt_creators_;
  size_t attempts_settled_ = 0;     // raw attempts sorted by an earlier Finalize
  bool raw_names_changed_ = false;  // a folded logon name changed accounts of raw attempts
  void SettleQueuedMessages();
  // Gives every attempt whose pair id is not its (client, user) pair's the right one.
  void NumberPairs();
  struct PairSlot {
    uint64_t key = 0;
    uint32_t id = kNone;  // kNone: empty
  };
  std::vector<PairSlot, HugePageAllocator<PairSlot>> pair_slots_;  // key -> id; power of two
  int pair_shift_ = 64;                                            // 64 - log2(pair_slots_.size())
  // A continued record joins the latest queued record of its host and queue id seen first
  // before it (the continued record is then dropped: drop[i]).
  void JoinContinuedMessages(std::vector<bool>* drop);
};

}  // namespace mxir::detect
