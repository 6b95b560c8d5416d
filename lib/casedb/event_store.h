// EventStore: Events in the case, stored once each.
//
// EventWriter inserts in batched transactions (one commit per `batch_size` events, and at
// Finish()), so a writer killed mid-way leaves every earlier batch committed and the case
// readable. Each event's identity is its provenance when that is known (origin sha256 + line or
// packet + index + kind: the same file read twice, from any path, adds nothing) and otherwise the
// hash of its whole JSON. EventReaderFromCase streams events back in time order.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "casedb/case_db.h"
#include "core/event.h"

namespace mxir::casedb {

// 16-byte identity of an event (see above).
std::string EventIdentity(const Event& e, std::string_view json);

class EventWriter {
 public:
  explicit EventWriter(CaseDb& c, size_t batch_size = 20000);
  ~EventWriter();  // commits what was added (errors are lost: call Finish() to see them)
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // After the first error (a full disk, say) every later Add and Finish returns that error: the
  // batch that failed is rolled back, the batches committed before it stay.
  Status Add(const Event& e);
  Status Finish();

  int64_t inserted() const { return inserted_; }
  int64_t duplicates() const { return duplicates_; }

 private:
  // One row waiting for the next multi-row INSERT.
  struct Row {
    std::string key, json, kind, source, session, client_ip, user;
    int64_t ts = 0;
  };
  static constexpr size_t kRowsPerStatement = 64;

  Status Prepare();
  Status FlushRows();  // inserts the buffered rows
  Status Commit();
  Status AddRow(const Event& e);
  Status CommitRows();
  void Fail(const Status& s);

  CaseDb& c_;
  Status failed_;
  size_t batch_size_;
  size_t pending_ = 0;  // rows in the open transaction
  bool in_tx_ = false;
  std::optional<Statement> insert_many_, insert_one_;
  std::vector<Row> rows_;
  size_t used_rows_ = 0;
  int64_t inserted_ = 0, duplicates_ = 0;
};

struct EventFilter {
  std::optional<Timestamp> since, until;
};

// Calls `fn` for each stored event in time order; a false return stops early. Rows whose JSON
// no longer parses are skipped and counted in *skipped.
Status ForEachEvent(CaseDb& c, const EventFilter& filter,
                    const std::function<bool(const Event&)>& fn, int64_t* skipped = nullptr);
Result<int64_t> CountEvents(CaseDb& c);

}  // namespace mxir::casedb
