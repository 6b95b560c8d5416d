#include "detect/evidence_order.h"

#include <string_view>

namespace mxir::detect {

EvidenceOrder::EvidenceOrder(const Evidence& ev) : ev_(&ev) {
  std::vector<uint32_t> by_name(std::min<size_t>(ev.sources.size(), source_rank_.size()));
  for (uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(),
            [&](uint32_t a, uint32_t b) { return ev.sources.Get(a) < ev.sources.Get(b); });
  for (uint32_t r = 0; r < by_name.size(); ++r) source_rank_[by_name[r]] = static_cast<uint8_t>(r);
}

uint64_t EvidenceOrder::ByName(uint32_t sources) const {
  uint64_t m = 0;
  for (uint32_t i = 0; sources != 0; ++i, sources >>= 1) {
    if (sources & 1) m |= uint64_t{1} << source_rank_[i];
  }
  return m;
}

int EvidenceOrder::CompareClients(uint32_t a, uint32_t b) const {
  if (a == b) return 0;
  if (a == kNone || b == kNone) return a == kNone ? -1 : 1;
  const IpAddress& x = ev_->clients[a];
  const IpAddress& y = ev_->clients[b];
  return x == y ? 0 : (x < y ? -1 : 1);
}

int EvidenceOrder::CompareTexts(const Interner& in, uint32_t a, uint32_t b) {
  if (a == b) return 0;
  if (a == kNone || b == kNone) return a == kNone ? -1 : 1;
  const int c = in.Get(a).compare(in.Get(b));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool EvidenceOrder::operator()(const AuthAttempt& a, const AuthAttempt& b) const {
  if (a.ts != b.ts) return a.ts < b.ts;
  if (a.sources != b.sources) {
    const uint64_t ma = ByName(a.sources), mb = ByName(b.sources);
    if (ma != mb) return ma < mb;
  }
  if (int c = CompareClients(a.client, b.client)) return c < 0;
  if (int c = CompareTexts(ev_->users, a.user, b.user)) return c < 0;
  if (a.outcome != b.outcome) return a.outcome < b.outcome;
  return CompareTexts(ev_->secrets, a.secret, b.secret) < 0;
}

bool EvidenceOrder::operator()(const HostedLoginRec& a, const HostedLoginRec& b) const {
  if (a.ts != b.ts) return a.ts < b.ts;
  if (int c = CompareTexts(ev_->users, a.user, b.user)) return c < 0;
  if (int c = CompareClients(a.client, b.client)) return c < 0;
  return a.result < b.result;
}

bool EvidenceOrder::operator()(const MailboxChangeRec& a, const MailboxChangeRec& b) const {
  if (a.ts != b.ts) return a.ts < b.ts;
  if (int c = CompareTexts(ev_->users, a.user, b.user)) return c < 0;
  return a.operation < b.operation;
}

}  // namespace mxir::detect
