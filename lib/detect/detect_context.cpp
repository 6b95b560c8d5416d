#include "detect/detect_context.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mxir::detect {

std::string StableId(std::string_view kind, std::initializer_list<std::string_view> parts) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0x1f;
    h *= 1099511628211ull;
  };
  mix(kind);
  for (auto p : parts) mix(p);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(kind) + "-" + buf;
}

Finding NewFinding(std::string_view kind, Severity severity, std::string_view playbook,
                   std::initializer_list<std::string_view> key, int64_t first_us, int64_t last_us) {
  Finding f;
  f.id = StableId(kind, key);
  f.kind = kind;
  f.severity = severity;
  f.playbook = playbook;
  f.first_seen = Timestamp::FromMicros(first_us);
  f.last_seen = Timestamp::FromMicros(last_us);
  return f;
}

void AddOrigins(Finding& f, const std::vector<std::string>& origins) {
  auto arr = nlohmann::ordered_json::array();
  for (const auto& o : origins) {
    if (o.empty()) continue;
    arr.push_back(o);
    if (arr.size() >= 5) break;
  }
  if (!arr.empty()) f.evidence["event_ids"] = arr;
}

void AddAttemptOrigins(Finding& f, const Evidence& ev, const std::vector<uint32_t>& attempts) {
  std::vector<std::string> o;
  for (uint32_t i : attempts) {
    std::string t = ev.OriginText(ev.attempts[i].origin);
    if (!t.empty()) o.push_back(std::move(t));
    if (o.size() >= 5) break;
  }
  AddOrigins(f, o);
}

void SetVerdict(Finding& f, std::string verdict) { f.evidence["verdict"] = std::move(verdict); }

std::string Count(int64_t n, std::string_view singular, std::string_view plural) {
  std::string out = std::to_string(n) + " ";
  if (n == 1) return out + std::string(singular);
  return out + (plural.empty() ? std::string(singular) + "s" : std::string(plural));
}

std::string Seconds(double s) {
  char buf[48];
  if (s < 0.1) {
    return "under 0.1 s";  // never "0 s": "about every 0 s" reads as a defect
  } else if (s < 0.95) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else if (s < 120) {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  } else if (s < 7200) {
    std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  }
  return buf;
}

std::string ShortList(const std::vector<std::string>& items, size_t max_items) {
  std::string out;
  size_t n = std::min(items.size(), max_items);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += (i + 1 == n && items.size() <= max_items) ? " and " : ", ";
    out += items[i];
  }
  if (items.size() > max_items) out += " and " + std::to_string(items.size() - max_items) + " more";
  return out;
}

std::vector<std::string> UserNames(const Evidence& ev, const std::vector<uint32_t>& users) {
  std::vector<std::string> out;
  for (uint32_t u : users) out.push_back(ev.UserText(u));
  std::sort(out.begin(), out.end());
  return out;
}

Severity Raise(Severity s) {
  return s == Severity::kCritical ? s : static_cast<Severity>(static_cast<int>(s) + 1);
}

}  // namespace mxir::detect
