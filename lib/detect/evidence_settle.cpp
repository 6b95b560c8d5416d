// EvidenceCollector::Finalize (evidence.h): settling what Add() collected — a message read in
// pieces becomes one, Windows logon names fold into their address accounts, everything is put
// in time (or content) order, records seen by several sources are merged, and login attempts get
// their (client, account) pair ids. evidence.cpp collects; this file settles.
#include <algorithm>
#include <unordered_map>

#include "detect/auth_merge.h"
#include "detect/evidence.h"
#include "detect/evidence_order.h"
#include "detect/message_merge.h"

namespace mxir::detect {

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
