// SourceStore: one `sources` record per input read into the case (spec/events.md "Identity and
// provenance"): the path as given, its size, the SHA-256 of the bytes read (computed off the hot
// path by the tool), the first and last record times, the record (line or packet) count, the
// events made and stored, the tool and when it read it. `mxir case show` lists them and
// `mxir case export` includes them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "casedb/case_db.h"
#include "core/timestamp.h"

namespace mxir::casedb {

struct SourceRecord {
  int64_t id = 0;
  std::string path;
  int64_t size = -1;   // bytes read; -1 unknown
  std::string sha256;  // hex; empty when unknown (e.g. the file could not be read again)
  std::optional<Timestamp> first_seen, last_seen;
  int64_t records = 0, events = 0, stored = 0;
  std::string tool;
  Timestamp read_at;
};

class SourceStore {
 public:
  explicit SourceStore(CaseDb& c) : c_(c) {}
  Status Add(const SourceRecord& s);
  Result<std::vector<SourceRecord>> List();

 private:
  CaseDb& c_;
};

}  // namespace mxir::casedb
