#include "detect/source_offset.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <tuple>

namespace mxir::detect {

namespace {

constexpr int kMaxHours = 14;
constexpr size_t kMaxProbe = 4000;  // attempts of one side tried per offset (evenly spread)

using Key = std::tuple<uint32_t, uint32_t, int>;

int SingleSource(uint32_t bits) {
  if (bits == 0 || (bits & (bits - 1)) != 0) return -1;
  return __builtin_ctz(bits);
}

}  // namespace

std::vector<SourceOffset> FindSourceOffsets(const Evidence& ev, double merge_window_s) {
  const size_t n_sources = std::min<size_t>(ev.sources.size(), 32);
  // Per source: the unmerged attempts' times by (client, user, outcome), in time order.
  std::vector<std::map<Key, std::vector<int64_t>>> by_source(n_sources);
  std::vector<std::vector<std::pair<Key, int64_t>>> list(n_sources);
  for (const AuthAttempt& a : ev.attempts) {
    int s = SingleSource(a.sources);
    if (s < 0 || static_cast<size_t>(s) >= n_sources || a.client == kNone) continue;
    Key k{a.client, a.user, static_cast<int>(a.outcome)};
    by_source[s][k].push_back(a.ts);
    list[s].push_back({k, a.ts});
  }
  const int64_t window = static_cast<int64_t>(merge_window_s * 1e6) + 1;
  std::vector<SourceOffset> out;
  for (size_t i = 0; i < n_sources; ++i) {
    for (size_t j = 0; j < n_sources; ++j) {
      if (i == j || list[i].size() < 5 || list[j].size() < 5) continue;
      const size_t smaller = std::min(list[i].size(), list[j].size());
      const size_t step = std::max<size_t>(1, list[i].size() / kMaxProbe);
      size_t probed = 0;
      int best_h = 0;
      int64_t best = 0;
      // j's times = i's times + h hours, for h > 0 only (the pair (j, i) covers the other way).
      for (int h = 1; h <= kMaxHours; ++h) {
        int64_t matched = 0;
        probed = 0;
        for (size_t x = 0; x < list[i].size(); x += step, ++probed) {
          const auto& [k, ts] = list[i][x];
          auto it = by_source[j].find(k);
          if (it == by_source[j].end()) continue;
          const int64_t want = ts + h * kMicrosPerHour;
          auto lo = std::lower_bound(it->second.begin(), it->second.end(), want - window);
          if (lo != it->second.end() && *lo <= want + window) ++matched;
        }
        if (matched > best) {
          best = matched;
          best_h = h;
        }
      }
      // Scaled back from the probe to all of i's attempts.
      const int64_t estimated =
          probed ? best * static_cast<int64_t>(list[i].size()) / static_cast<int64_t>(probed) : 0;
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
