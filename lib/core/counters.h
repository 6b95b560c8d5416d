// Counters: a run's named counts (records read, skipped by reason, ...), printed at the end as
// one JSON object (--stats json) or a one-line summary on stderr (spec/cli.md).
//
// Names with a dot ("skipped.bad_json") become nested objects in JSON. Order of first use is
// kept. Not thread-safe: one per thread, Merge() to combine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxir {

class Counters {
 public:
  void Add(std::string_view name, int64_t n = 1);
  void Set(std::string_view name, int64_t value);
  int64_t Get(std::string_view name) const;
  void Merge(const Counters& other);
  const std::vector<std::pair<std::string, int64_t>>& items() const { return items_; }

  std::string ToJson() const;
  // "1234 lines, 56 events, 3 skipped (bad_json 2, too_long 1)"
  std::string Summary() const;

 private:
  int64_t* Find(std::string_view name);
  std::vector<std::pair<std::string, int64_t>> items_;
};

}  // namespace mxir
