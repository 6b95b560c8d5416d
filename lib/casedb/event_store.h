// EventStore: Events in the case, stored once each, compactly (schema 6; event_codec.h).
//
// EventWriter inserts in batched transactions (one commit per `batch_size` events, and at
// Finish()), so a writer killed mid-way leaves every earlier batch committed and the case
// readable. Each event's identity is (EventLocality(), EventKey()) (from its content: a log grown,
// rotated, compressed, read from stdin or followed adds nothing twice). Rows are columns — times as
// integers, kinds as small integers, addresses as bytes, sources, protocols, accounts and file
// names as ids into the interned `strings` table, the session id inline as a BLOB (schema 9:
// rows stored before hold an id of `strings`) — plus the rest of the event in the compact form
// of event_codec.h. Reading them back: event_reader.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "casedb/case_db.h"
#include "casedb/event_codec.h"
#include "core/event.h"

namespace mxir::casedb {

class StringInterner;   // string_table.h
class WalCheckpointer;  // wal_checkpointer.h

// An event made ready for EventWriter on the producer's thread (EventWriter::PrepareEvent): its
// identity key, its columns, the rest as JSON split into members, and the hashes of every string
// to intern; the writer's thread then only looks ids up and inserts. A PreparedEvent may be
// reused: PrepareEvent sets every member (and keeps the buffers' capacity).
struct PreparedEvent {
  int64_t key = 0, loc = 0, ts = 0, kind = 0;
  std::string source, protocol, user;
  SharedString session, file;
  // StringInterner::Hash of source, protocol, user and file (0 when empty). The session is
  // stored inline, not interned: it has no hash.
  uint64_t source_hash = 0, protocol_hash = 0, user_hash = 0, file_hash = 0;
  std::optional<IpAddress> client_ip, server_ip;
  int64_t client_port = -1, server_port = -1, line = -1, packet = -1, index = 0;
  SplitRest rest;  // RestJson() of the event with its columns cleared, split
};

class EventWriter {
 public:
  static constexpr size_t kDefaultBatch = 20000;
  explicit EventWriter(CaseDb& c, size_t batch_size = kDefaultBatch);
  // For the schema migration: writes inside the caller's open transaction (never commits).
  EventWriter(Database& db, bool in_callers_transaction);
  ~EventWriter();  // commits what was added (errors are lost: call Finish() to see them)
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // After the first error (a full disk, say) every later Add and Finish returns that error: the
  // batch that failed is rolled back, the batches committed before it stay.
  Status Add(const Event& e);
  Status Add(Event&& e);  // the same, without a copy of the event
  // The part of Add that needs no case (the key, the columns, the rest as JSON): a producer
  // thread may do it while the writer's thread stores earlier events.
  static void PrepareEvent(Event&& e, PreparedEvent* out);
  Status Add(PreparedEvent&& p);
  Status Finish();

  int64_t inserted() const { return inserted_; }
  int64_t duplicates() const { return duplicates_; }

 private:
  // One row waiting for the next multi-row INSERT.
  struct Row {
    int64_t key = 0, loc = 0, ts = 0, kind = 0, source = 0, protocol = 0, user = 0, file = 0;
    // Stored inline (a BLOB), empty: NULL. A copy into reused capacity: the SharedString stays
    // with the PreparedEvent and is released on the producer's thread, which allocated it (a
    // free of it here went to the allocator's slow path).
    std::string session;
    int64_t client_port = -1, server_port = -1, line = -1, packet = -1, index = 0;
    uint8_t client_ip[17], server_ip[17];
    size_t client_ip_len = 0, server_ip_len = 0;
    std::string rest;
  };
  static constexpr size_t kRowsPerStatement = 64;

  Status Prepare();
  Status FlushRows();  // inserts the buffered rows
  Status Commit();
  Status AddRow(PreparedEvent& p);
  Status CommitRows();
  void Fail(const Status& s);

  Database& db_;
  std::string path_;  // the case's, for the checkpointer ("" for the migration's writer)
  Status failed_;
  size_t batch_size_;
  bool callers_tx_ = false;
  size_t pending_ = 0;  // rows in the open transaction
  bool in_tx_ = false;
  // The events table has the `loc` column (schema 8); the schema 5 -> 6 migration writes into
  // the table of schema 6, without it.
  bool has_loc_ = true;
  std::optional<Statement> insert_many_, insert_one_;
  std::unique_ptr<StringInterner> strings_;
  std::unique_ptr<RestEncoder> rest_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // a bulk writer's (Prepare)
  std::vector<Row> rows_;
  size_t used_rows_ = 0;
  // Which parameters of insert_many_ hold NULL from its last run (it keeps its binds): a NULL
  // bound again there is skipped — most rows of a log leave several columns NULL each time.
  std::vector<uint8_t> many_null_;
  Event scratch_;
  PreparedEvent prepared_;
  int64_t inserted_ = 0, duplicates_ = 0;
};

}  // namespace mxir::casedb
