// Guard: the relay's guard rails, decided per policy request (relay-design.md §7.3 P3-P5).
//
// Who: the SASL login; for a mail server's relay login (no '@'), the sender address. Null-sender
// mail (bounces) counts in its own, tighter bucket per login. Every message also counts for the
// client IP.
// RCPT: unauthenticated -> REJECT; an account under investigation -> HOLD, REJECT or
//   DEFER_IF_PERMIT as configured; a sender outside the company's domains, or not owned by a
//   person's login -> REJECT 5.7.1; more recipients in one message than the cap -> 452 4.5.3;
//   over a window (messages, recipients, recipient domains per account; recipients per client)
//   -> DEFER_IF_PERMIT 4.7.1 (the mail stays in the client's queue); else DUNNO.
// DATA: the message's recipient_count is checked and reserved. END-OF-MESSAGE: the reservation is
//   committed (and written to the CounterStore) — rejected or abandoned mail is never counted;
//   reservations never committed expire after reservation_ttl.
// Persistence: by default each commit is written to the store before Decide returns. With
//   SetGroupCommit(true) commits are kept in memory until Flush(), which writes all of them in one
//   transaction (group commit); the caller must not send the answers of those commits before
//   Flush() succeeded, so a crash never loses a count whose message was accepted (an answer not
//   sent means Postfix answers 451 and the client sends the message again).
// Windows slide: an entry made at t counts while now - window < t.
#pragma once

#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "relay/counter_store.h"
#include "relay/policy_protocol.h"
#include "relay/relay_config.h"

namespace mxir::relay {

// The window counts a decision saw (for the audit trail); -1 = not applicable.
struct DecisionCounts {
  int64_t account_messages = -1, account_recipients = -1, account_domains = -1;
  int64_t client_recipients = -1;
  nlohmann::ordered_json ToJson() const;
};

struct Decision {
  std::string action;   // the policy answer (after "action=")
  std::string rule;     // why: permit, reserve, commit, investigation, sender_domain, ...
  std::string account;  // the account key the decision counted against ("" when none)
  DecisionCounts counts;
  int64_t ts_us = 0;    // when it was decided
  bool commit = false;  // an END-OF-MESSAGE commit (with group commit: persisted at Flush())
};

class Guard {
 public:
  // `store` may be null (no persistence, tests).
  Guard(const RelayConfig& config, CounterStore* store, const Clock& clock);

  // Loads the committed rows of the current window from the store.
  Status Load();
  // Replaces the set of accounts (logins or addresses, any case) under investigation.
  void SetInvestigated(const std::set<std::string>& accounts);
  // Replaces the limits (reload) without touching the counters.
  void SetConfig(const RelayConfig& config) { cfg_ = config; }

  // An error means "do not answer": the caller closes the connection (fail closed).
  Result<Decision> Decide(const PolicyRequest& r);

  // Group commit (see above). Off by default.
  void SetGroupCommit(bool on) { group_commit_ = on; }
  // Commits decided but not yet in the store.
  bool HasUnsaved() const { return !unsaved_.empty(); }
  // Writes the unsaved commits in one transaction. On error they stay queued (a later Flush
  // retries); the answers that waited for them must then not be sent.
  Status Flush();
  // For a caller that writes the commits itself (the policy server's counter writer thread):
  // takes the unsaved commits, and sets `*prune_before` to the time before which stored rows are
  // out of every window when it is time to prune them (else 0). The caller must write them (or
  // not send the answers that waited for them), exactly as with Flush().
  std::vector<CounterRow> TakeUnsaved(int64_t* prune_before);
  // Puts taken rows back before the unsaved ones (a caller that could not write them).
  void Requeue(std::vector<CounterRow> rows) {
    rows.insert(rows.end(), std::make_move_iterator(unsaved_.begin()),
                std::make_move_iterator(unsaved_.end()));
    unsaved_.swap(rows);
  }

  CounterStore* store() const { return store_; }
  size_t active_instances() const { return instances_.size(); }
  // Committed + pending counts of a key ("a:alice@x", "c:192.0.2.1", "n:login").
  struct Counts {
    int64_t msgs = 0, rcpts = 0, domains = 0;
  };
  Counts CountsOf(const std::string& key);

 private:
  struct Entry {
    int64_t ts;
    int64_t msgs, rcpts;
    std::vector<std::string> domains;
  };
  struct Window {
    std::deque<Entry> entries;
    int64_t msgs = 0, rcpts = 0;
    std::unordered_map<std::string, int64_t> domains;  // committed + pending, with multiplicity
    int64_t pending_msgs = 0, pending_rcpts = 0;
  };
  struct Instance {
    std::string account_key, client_key;
    int64_t first_ts = 0;
    int64_t rcpts = 0;
    std::vector<std::string> domains;  // distinct
    bool reserved = false;
  };

  Result<Decision> DecideAt(const PolicyRequest& r, int64_t now);
  void Evict(Window& w, int64_t now);
  void ExpireInstances(int64_t now);
  void AddPending(const Instance& in, int64_t msgs, int64_t rcpts, const std::string* domain);
  void DropInstance(const std::string& id);
  void AddCommitted(const std::string& key, const Entry& e);
  Window& WindowOf(const std::string& key, int64_t now);
  DecisionCounts CountsOf(const std::string& account_key, const std::string& client_key,
                          int64_t now);

  RelayConfig cfg_;
  CounterStore* store_;
  const Clock& clock_;
  std::set<std::string> investigated_;
  std::unordered_map<std::string, Window> windows_;
  std::unordered_map<std::string, Instance> instances_;
  std::deque<std::pair<int64_t, std::string>> instance_order_;
  int64_t commits_since_prune_ = 0;
  bool group_commit_ = false;
  std::vector<CounterRow> unsaved_;
};

}  // namespace mxir::relay
