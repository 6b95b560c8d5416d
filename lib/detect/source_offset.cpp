#include "detect/source_offset.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

namespace mxir::detect {

namespace {

constexpr int kMaxHours = 14;
constexpr size_t kMaxProbe = 4000;  // attempts of one side tried per offset (evenly spread)

// (client, user, outcome) of an attempt.
struct Key {
  uint32_t client, user;
  int outcome;
  bool operator==(const Key& o) const {
    return client == o.client && user == o.user && outcome == o.outcome;
  }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    uint64_t h = (uint64_t{k.client} << 32 | k.user) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h ^ (h >> 29) ^ static_cast<uint64_t>(k.outcome));
  }
};

int SingleSource(uint32_t bits) {
  if (bits == 0 || (bits & (bits - 1)) != 0) return -1;
  return __builtin_ctz(bits);
}

}  // namespace

std::vector<SourceOffset> FindSourceOffsets(const Evidence& ev, double merge_window_s) {
  const size_t n_sources = std::min<size_t>(ev.sources.size(), 32);
  // The attempts a source alone saw (unmerged), by source; a pair of sources is judged on a
  // probe of at most kMaxProbe of one side's attempts, looked up among the other side's
  // attempts with the same key. Only the keys probed are kept (not every attempt of millions),
  // in three passes over the attempts: count, probe, collect the probed keys' times.
  auto source_of = [&](const AuthAttempt& a) {
    const int s = SingleSource(a.sources);
    return s < 0 || static_cast<size_t>(s) >= n_sources || a.client == kNone ? -1 : s;
  };
  std::vector<size_t> total(n_sources, 0);
  for (const AuthAttempt& a : ev.attempts) {
    if (int s = source_of(a); s >= 0) ++total[s];
  }
  std::vector<size_t> step(n_sources), seen(n_sources, 0);
  for (size_t s = 0; s < n_sources; ++s) step[s] = std::max<size_t>(1, total[s] / kMaxProbe);
  std::vector<std::vector<std::pair<Key, int64_t>>> probe(n_sources);
  std::unordered_map<Key, uint32_t, KeyHash> wanted;  // key -> its slot in `times`
  for (const AuthAttempt& a : ev.attempts) {
    const int s = source_of(a);
    if (s < 0) continue;
    if (seen[s]++ % step[s] != 0) continue;
    const Key k{a.client, a.user, static_cast<int>(a.outcome)};
    probe[s].push_back({k, a.ts});
    wanted.emplace(k, static_cast<uint32_t>(wanted.size()));
  }
  // times[source]: (slot of the key, time) of that source's attempts with a probed key, sorted.
  std::vector<std::vector<std::pair<uint32_t, int64_t>>> times(n_sources);
  for (const AuthAttempt& a : ev.attempts) {
    const int s = source_of(a);
    if (s < 0 || total[s] < 5) continue;
    auto it = wanted.find(Key{a.client, a.user, static_cast<int>(a.outcome)});
    if (it != wanted.end()) times[s].push_back({it->second, a.ts});
  }
  for (auto& t : times) std::sort(t.begin(), t.end());
  const int64_t window = static_cast<int64_t>(merge_window_s * 1e6) + 1;
  std::vector<SourceOffset> out;
  for (size_t i = 0; i < n_sources; ++i) {
    for (size_t j = 0; j < n_sources; ++j) {
      if (i == j || total[i] < 5 || total[j] < 5) continue;
      const size_t smaller = std::min(total[i], total[j]);
      const size_t probed = probe[i].size();
      int best_h = 0;
      int64_t best = 0;
      // j's times = i's times + h hours, for h > 0 only (the pair (j, i) covers the other way).
      for (int h = 1; h <= kMaxHours; ++h) {
        int64_t matched = 0;
        const auto& t = times[j];
        for (const auto& [k, ts] : probe[i]) {
          const uint32_t slot = wanted.find(k)->second;
          const int64_t want = ts + h * kMicrosPerHour;
          auto lo = std::lower_bound(t.begin(), t.end(), std::make_pair(slot, want - window));
          if (lo != t.end() && lo->first == slot && lo->second <= want + window) ++matched;
        }
        if (matched > best) {
          best = matched;
          best_h = h;
        }
      }
      // Scaled back from the probe to all of i's attempts.
      const int64_t estimated =
          probed ? best * static_cast<int64_t>(total[i]) / static_cast<int64_t>(probed) : 0;
      if (best >= 5 && estimated * 2 >= static_cast<int64_t>(smaller)) {
        out.push_back({std::string(ev.sources.Get(static_cast<uint32_t>(i))),
                       std::string(ev.sources.Get(static_cast<uint32_t>(j))), best_h, estimated});
      }
    }
  }
  return out;
}

std::string SourceOffsetWarning(const SourceOffset& o, int64_t assumed_offset_s) {
  // A capture's times are absolute: when one side is the capture, the other is the one to fix.
  const bool earlier_is_capture = o.earlier == "pcap";
  const bool later_is_capture = o.later == "pcap";
  std::string text = "the " + o.earlier + " and " + o.later + " events describe the same " +
                     std::to_string(o.matched) + " logins " + std::to_string(o.hours) + " hour" +
                     (o.hours == 1 ? "" : "s") + " apart (" + o.later + " " +
                     std::to_string(o.hours) + " h later), so each is counted twice. ";
  // A log written in zone W but read as zone Z is stored (W - Z) off the true times: with
  // shift = stored - true (hours), the zone it was written in is W = Z + shift.
  auto suggest = [&](const std::string& source, int shift_h) {
    int64_t right = assumed_offset_s / 3600 + shift_h;
    std::string zone =
        right == 0 ? "--tz UTC"
                   : "a --tz at UTC" + std::string(right > 0 ? "+" : "") + std::to_string(right);
    return "Probably the " + source + " log was read with the wrong --tz: read it again (into a " +
           "new case) with " + zone + " if it was read in this machine's zone, i.e. a zone " +
           std::to_string(std::abs(shift_h)) + " hours " + (shift_h > 0 ? "east" : "west") +
           " of the one used; or check that machine's clock.";
  };
  if (earlier_is_capture) return text + suggest(o.later, o.hours);
  if (later_is_capture) return text + suggest(o.earlier, -o.hours);
  return text + "One of the logs was probably read with the wrong --tz (" +
         std::to_string(o.hours) + " hours off), or a machine's clock is off.";
}

}  // namespace mxir::detect
