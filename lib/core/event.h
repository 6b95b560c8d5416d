// Event: one fact about a mail session, the same record whatever the source (pcap, Postfix log,
// Dovecot log, ...). The contract is ../shared/spec/events.md; field names here match it.
//
// Unset fields are empty strings, empty vectors, -1 ports or empty optionals, and are omitted
// from JSON. An Event never holds a secret: `secret_fp` is a keyed fingerprint (see
// secret_fingerprint.h). Plain data: copy, move and share freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ip_address.h"
#include "core/shared_string.h"
#include "core/timestamp.h"

namespace mxir {

enum class EventKind : uint8_t {
  kSessionStart,
  kSessionEnd,
  kGap,
  kHelo,
  kTls,
  kAuth,
  kMail,
  kRcpt,
  kMessage,
  kReply,
  kDelivery,
  kMailboxChange,
};

const char* EventKindName(EventKind kind);  // "session_start", ...
int EventKindCount();                       // kinds are 0 .. EventKindCount() - 1
std::optional<EventKind> ParseEventKind(std::string_view name);

// Where an event came from. Its identity in a case comes from the content (spec/events.md
// "Identity and provenance"): `record` (a hash of the bytes of the log line that produced it),
// `repeat` (how many identical records came before it in the same input) and `index`; for a
// capture, the completing packet's time and connection (casedb::EventKey). So a grown, rotated,
// compressed or copied log, stdin and --follow all give the same identities.
struct EventOrigin {
  SharedString file;    // path as given, "-" for stdin, "iface:eth0" for live capture
  SharedString sha256;  // of the whole input when known (JSON Lines only; the case keeps it in
                        // its `sources`); never waited for
  int64_t line = -1;    // 1-based line number (logs)
  int64_t packet = -1;  // 1-based packet index (pcaps)
  int index = 0;        // the n-th event made from the same line or packet (0-based)
  uint64_t record = 0;  // RecordHash() of the producing line; 0 when unknown (not in JSON)
  int repeat = 0;       // identical records before it in the same input (not in JSON)
  int locality = 0;     // RecordLocality() of the producing line (with `record`; not in JSON)
};

// The hash of one record's bytes (a log line without its newline) for EventOrigin::record;
// never 0.
uint64_t RecordHash(std::string_view bytes);

// Where a record sits in the month, from its bytes alone, for EventOrigin::locality: 1 + the
// seconds of the day of the first "HH:MM" or "HH:MM:SS" among its first 64 bytes that follows no
// digit (the stamp of a syslog, RFC 3339, ISO or container line), plus 86400 times the day of
// the month written just before it ("Jan  7 ", "Dec 17 ", "-07T", "-07 "; 0 when the stamp gives
// none) — or 0 when there is no clock. Not the event's ts: that depends on the year inferred
// from "now", --year and the time zone, while this is the same on every read of the same bytes.
// A case orders its identity index by it, so the events of one batch (lines close in time) land
// on a few pages of that index instead of everywhere in it, and a log of many days adds at its
// end rather than between the rows of the days before (without the day, each day's lines went
// between the last day's: schema 10).
int RecordLocality(std::string_view bytes);

// RecordRepeats: counts identical records within one input, for EventOrigin::repeat. Keeps the
// hashes of the last ~256 K distinct records (two generations of a small table, so memory is
// bounded on any input); identical lines carry identical timestamps, so they are close together.
// The count depends only on the input up to that record: a grown log repeats the same counts.
class RecordRepeats {
 public:
  RecordRepeats();
  // How many times `hash` was seen before (then counts this one).
  int Next(uint64_t hash);

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t count = 0;
  };
  Slot* Find(std::vector<Slot>& table, uint64_t hash);
  std::vector<Slot> cur_, old_;
  size_t used_ = 0;
};

struct Event {
  Timestamp ts;
  std::string source;  // pcap, postfix, dovecot, exim, sendmail, ...
  EventOrigin origin;
  std::string protocol;  // smtp, submission, smtps, imap, pop3, webmail, ...
  SharedString session;  // stable id of the connection or login session (shared by its events)
  std::optional<IpAddress> client_ip;
  int client_port = -1;
  std::optional<IpAddress> server_ip;
  int server_port = -1;
  EventKind kind = EventKind::kReply;

  // session_end
  std::optional<double> duration_s;
  std::optional<int64_t> bytes_c2s, bytes_s2c, gaps;
  std::string state;  // closed, reset, timeout, truncated
  // gap
  std::string direction;  // c2s, s2c
  std::optional<int64_t> bytes;
  // helo
  std::string helo;
  std::optional<bool> esmtp;
  // tls
  // starttls (TLS began after STARTTLS/220), implicit (TLS from the first byte, port 465), or
  // starttls-not-negotiated (STARTTLS was answered 220 but the client went on in plain SMTP:
  // a decrypted capture, or a man in the middle stripping STARTTLS; the content is visible)
  std::string how;
  std::string sni;
  // auth
  std::string mechanism;
  std::string user;     // also on message events of an authenticated session
  std::string outcome;  // success, failure, aborted, unknown
  std::string secret_fp;
  // shared by auth, mail, rcpt, message, reply, delivery
  std::optional<int> code;
  // mail, message
  std::string mail_from;
  // rcpt, delivery
  std::string rcpt_to;
  std::optional<bool> accepted;  // rcpt, message
  // message
  std::vector<std::string> recipients;
  std::optional<int64_t> size;
  std::string header_from;
  std::vector<std::string> to, cc;
  std::string subject;  // RFC 2047 decoded
  std::string msg_id;
  std::string user_agent;
  std::string date;
  std::vector<std::string> received;  // newest first
  std::optional<bool> truncated;      // message: the input ended inside its body
  // message (MTA logs): the input began in the middle of the message's life — its first lines
  // (client, sender, size) are in an earlier input, e.g. the rotated mail.log.1.
  std::optional<bool> continued;
  // reply, delivery
  std::string enhanced;  // 5.7.1
  std::string text;
  std::string command;  // reply: what it answered
  // delivery
  std::string relay;
  std::string status;  // sent, deferred, bounced

  // mailbox_change (from audit logs): `user` is whose mailbox, `outcome` whether it took effect.
  std::string actor;      // who changed it
  std::string operation;  // New-InboxRule, Set-Mailbox, ...
  // The named values of the change, in the order the source gave them (a JSON object).
  std::vector<std::pair<std::string, std::string>> parameters;

  // Any event, when its source knows them (hosted mail: Entra ID, Microsoft 365, Google).
  std::string client_app;      // the provider's client application, e.g. "Authenticated SMTP"
  std::string error_code;      // the provider's own code as text, e.g. Entra "50126"
  std::string country;         // ISO 3166-1 alpha-2, from the source or a local GeoIP database
  std::optional<int64_t> asn;  // autonomous system number of client_ip

  // Extra fields (the contract allows them).
  std::string reason;    // a log's own words for why (e.g. "Password mismatch")
  std::string queue_id;  // MTA queue id
  std::string reply_to, in_reply_to, x_originating_ip;
  std::string server_name;  // the reporting host in a log line
};

// Makes `e` equal to Event() while keeping the capacity of its strings and lists (a reader that
// reuses one Event per row then allocates nothing for most rows). Every member of Event must be
// reset here: the RowDecoder tests check that a reset event equals a new one in every field.
void ResetEvent(Event& e);

}  // namespace mxir
