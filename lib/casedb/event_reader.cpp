#include "casedb/event_reader.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "casedb/event_codec.h"
#include "casedb/event_row_decoder.h"
#include "core/event_json.h"

namespace mxir::casedb {

namespace {

Result<Statement> PrepareEventQuery(CaseDb& c, const EventFilter& filter) {
  std::string sql = kEventSelectColumns;
  if (filter.after_id > 0) {
    sql += "WHERE id > ?3 AND ts >= ?1 AND ts < ?2 ORDER BY id";
  } else {
    sql += "WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id";
  }
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(c.db(), sql));
  st.BindTimeRange(1, filter.since, filter.until);
  if (filter.after_id > 0) st.Bind(3, filter.after_id);
  return st;
}

// A whole read needs most strings: one pass over the table beats a lookup per string.
bool WholeRead(const EventFilter& filter) {
  return filter.after_id == 0 && !filter.since && !filter.until;
}

}  // namespace

Status ForEachEvent(CaseDb& c, const EventFilter& filter,
                    const std::function<bool(const Event&)>& fn, int64_t* skipped,
                    int64_t* last_id) {
  MXIR_ASSIGN_OR_RETURN(Statement st, PrepareEventQuery(c, filter));
  RowDecoder decoder(c.db());
  if (WholeRead(filter)) MXIR_RETURN_IF_ERROR(decoder.LoadAll());
  Event e;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    int64_t id = st.ColumnInt(0);
    if (!decoder.Decode(st, &e).ok()) {
      if (skipped) ++*skipped;
      continue;
    }
    if (last_id && id > *last_id) *last_id = id;
    if (!fn(e)) break;
  }
  return Status::Ok();
}

Status ForEachEventReadAhead(CaseDb& c, const EventFilter& filter,
                             const std::function<bool(const Event&)>& fn, int64_t* skipped,
                             int64_t* last_id) {
  MXIR_ASSIGN_OR_RETURN(Statement st, PrepareEventQuery(c, filter));
  // Batches of decoded events go round a small ring: the reader fills free ones, the caller
  // empties full ones and hands them back (one lock per batch, Events reused).
  struct Batch {
    std::vector<Event> events;
    std::vector<int64_t> ids;
    size_t n = 0;
  };
  // Small enough that the ring (a few hundred Events of about 1.7 KB) stays in a core's cache.
  constexpr size_t kRows = 64, kBatches = 6;
  std::vector<Batch> batches(kBatches);
  std::deque<Batch*> free_batches, full_batches;
  for (Batch& b : batches) {
    b.events.resize(kRows);
    b.ids.resize(kRows);
    free_batches.push_back(&b);
  }
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // the reader has handed over its last batch
  bool stop = false;  // the caller wants no more
  Status failed = Status::Ok();
  int64_t bad = 0;  // the reader's until it is joined
  auto read = [&] {
    RowDecoder decoder(c.db());
    Status s = WholeRead(filter) ? decoder.LoadAll() : Status::Ok();
    bool end = !s.ok();
    while (!end) {
      Batch* b = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || !free_batches.empty(); });
        if (stop) break;
        b = free_batches.front();
        free_batches.pop_front();
      }
      b->n = 0;
      while (b->n < kRows) {
        Result<bool> row = st.Step();
        if (!row.ok()) {
          s = row.error();
          end = true;
          break;
        }
        if (!*row) {
          end = true;
          break;
        }
        int64_t id = st.ColumnInt(0);
        if (!decoder.Decode(st, &b->events[b->n]).ok()) {
          ++bad;
          continue;
        }
        b->ids[b->n++] = id;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        full_batches.push_back(b);
      }
      cv.notify_all();
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
      failed = s;
    }
    cv.notify_all();
  };
  std::thread reader;
  try {
    reader = std::thread(read);
  } catch (const std::system_error&) {
    return ForEachEvent(c, filter, fn, skipped, last_id);  // no second thread: read inline
  }
  auto finish = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    reader.join();
  };
  try {
    for (bool more = true; more;) {
      Batch* b = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return done || !full_batches.empty(); });
        if (full_batches.empty()) break;
        b = full_batches.front();
        full_batches.pop_front();
      }
      for (size_t i = 0; i < b->n && more; ++i) {
        if (last_id && b->ids[i] > *last_id) *last_id = b->ids[i];
        more = fn(b->events[i]);
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        free_batches.push_back(b);
      }
      cv.notify_all();
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
  if (skipped) *skipped += bad;
  return failed;
}

Status ForEachEventJson(CaseDb& c,
                        const std::function<void(int64_t id, const std::string& json)>& fn) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st, Statement::Prepare(c.db(), std::string(kEventSelectColumns) + "ORDER BY id"));
  RowDecoder decoder(c.db());
  MXIR_RETURN_IF_ERROR(decoder.LoadAll());
  Event e;
  std::string json;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    int64_t id = st.ColumnInt(0);
    if (!decoder.Decode(st, &e).ok()) continue;
    json.clear();
    AppendEventJson(json, e);
    fn(id, json);
  }
  return Status::Ok();
}

Result<int64_t> CountEvents(CaseDb& c) {
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(c.db(), "SELECT count(*) FROM events"));
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

Result<int64_t> LastEventId(CaseDb& c) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c.db(), "SELECT coalesce(max(id), 0) FROM events"));
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

Result<std::optional<Timestamp>> LatestEventTime(CaseDb& c, const std::string& source) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c.db(),
                                           "SELECT max(ts) FROM events WHERE source = "
                                           "(SELECT id FROM strings WHERE value = ?1)"));
  st.Bind(1, source);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || st.ColumnIsNull(0)) return std::optional<Timestamp>();
  return std::optional<Timestamp>(Timestamp::FromMicros(st.ColumnInt(0)));
}

}  // namespace mxir::casedb
