#include "detect/runaway_guard.h"

#include <algorithm>

namespace mxir::detect {

Finding RunawaySummary(size_t listed, size_t folded, int64_t folded_rejections, Timestamp first,
                       Timestamp last) {
  Finding summary;
  summary.kind = "remote_blocklisting";
  summary.severity = Severity::kHigh;
  summary.id = std::string(kRunawaySummaryId);
  summary.first_seen = first;
  summary.last_seen = last;
  summary.counts["listed_addresses"] = listed;
  summary.counts["not_shown"] = folded;
  summary.counts["rejections_not_shown"] = folded_rejections;
  summary.explanation =
      "The input claims " + std::to_string(listed) +
      " different addresses of yours are on blocklists — far more than a mail server or an "
      "office has. This usually means the log is not your own server's (a relay's or a "
      "provider's log, where other people's addresses are refused), or that --internal (or the "
      "case's IP assets) covers far too much. The " +
      std::to_string(kMaxListedFindings) +
      " addresses with the most rejections are shown as findings; " + std::to_string(folded) +
      " more are summed up here and were not added to the case.";
  summary.next_steps = {
      "Check where the log comes from, and narrow --internal to your own networks.",
      "Then run mxir detect again."};
  return summary;
}

size_t SummarizeRunaway(DetectResult* result, Counters* counters) {
  std::vector<Finding>& fs = result->findings;
  std::vector<size_t> listed;
  for (size_t i = 0; i < fs.size(); ++i) {
    if (fs[i].kind == "remote_blocklisting" && fs[i].id != kRunawaySummaryId) listed.push_back(i);
  }
  if (listed.size() <= kMaxListedFindings) return 0;
  // Each finding's rejections read once (not twice per comparison: tens of thousands of
  // findings on a runaway input).
  std::vector<int64_t> count(fs.size(), 0);
  for (size_t i : listed) count[i] = fs[i].counts.value("rejections", int64_t{0});
  auto rejections = [&](size_t i) { return count[i]; };
  std::stable_sort(listed.begin(), listed.end(),
                   [&](size_t a, size_t b) { return rejections(a) > rejections(b); });
  std::vector<bool> drop(fs.size(), false);
  int64_t folded_rejections = 0;
  Timestamp first, last;
  for (size_t k = kMaxListedFindings; k < listed.size(); ++k) {
    const Finding& f = fs[listed[k]];
    drop[listed[k]] = true;
    folded_rejections += rejections(listed[k]);
    if (first == Timestamp() || f.first_seen < first) first = f.first_seen;
    if (last < f.last_seen) last = f.last_seen;
  }
  const size_t folded = listed.size() - kMaxListedFindings;
  Finding summary = RunawaySummary(listed.size(), folded, folded_rejections, first, last);
  std::vector<Finding> kept;
  kept.reserve(fs.size() - folded + 1);
  for (size_t i = 0; i < fs.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(fs[i]));
  }
  kept.push_back(std::move(summary));
  fs = std::move(kept);
  SortFindings(&fs);
  // Only the shown findings' addresses become case assets.
  std::vector<ListedAddress> listed_kept;
  for (const Finding& f : fs) {
    if (f.kind != "remote_blocklisting") continue;
    std::string ip = f.evidence.value("listed_ip", std::string());
    if (!ip.empty()) listed_kept.push_back({ip, f.evidence.value("blocklist", std::string())});
  }
  result->listed = std::move(listed_kept);
  if (counters) counters->Add("guard.remote_blocklisting_folded", static_cast<int64_t>(folded));
  return folded;
}

}  // namespace mxir::detect
