#include "casedb/event_store.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "casedb/event_codec.h"
#include "casedb/event_row_decoder.h"
#include "casedb/string_table.h"
#include "casedb/wal_checkpointer.h"
#include "core/event_json.h"

namespace mxir::casedb {

namespace {

constexpr const char* kInsertHead =
    "INSERT OR IGNORE INTO events (key, ts, kind, source, protocol, session, client_ip, "
    "client_port, server_ip, server_port, user, file, line, packet, idx, rest";
constexpr int kColumns = 16;  // then loc, when the table has it
constexpr int64_t kCheckpointFrames = 4096;

}  // namespace

EventWriter::EventWriter(CaseDb& c, size_t batch_size)
    : db_(c.db()),
      path_(c.path()),
      batch_size_(std::max<size_t>(batch_size, 1)),
      strings_(std::make_unique<StringInterner>(c.db())),
      rest_(std::make_unique<RestEncoder>(strings_.get())),
      rows_(kRowsPerStatement) {}

EventWriter::EventWriter(Database& db, bool in_callers_transaction)
    : db_(db),
      batch_size_(kDefaultBatch),
      callers_tx_(in_callers_transaction),
      strings_(std::make_unique<StringInterner>(db)),
      rest_(std::make_unique<RestEncoder>(strings_.get())),
      rows_(kRowsPerStatement) {}

EventWriter::~EventWriter() { (void)Finish(); }

Status EventWriter::Prepare() {
  if (!insert_one_) {
    if (!callers_tx_) {
      // A larger page cache for bulk loads (this connection only).
      MXIR_RETURN_IF_ERROR(db_.Exec("PRAGMA cache_size = -262144"));
      // Debian's SQLite zeroes every byte a b-tree page frees (SQLITE_SECURE_DELETE), and a bulk
      // load frees bytes at every page split: the cells moved to a new page, which live on
      // there. A writer that only adds rows deletes nothing, so there is nothing to overwrite.
      MXIR_RETURN_IF_ERROR(db_.Exec("PRAGMA secure_delete = OFF"));
      // The WAL is copied back into the case by a thread of its own (wal_checkpointer.h) from
      // 4096 frames (64 MB) on; by this connection only past 16384, as before it had one.
      MXIR_RETURN_IF_ERROR(db_.Exec("PRAGMA wal_autocheckpoint = 16384"));
      if (!path_.empty()) {
        checkpointer_ =
            std::make_unique<WalCheckpointer>(db_, path_, kCheckpointFrames, 4 * kCheckpointFrames);
      }
    }
    has_loc_ = Statement::Prepare(db_, "SELECT loc FROM events LIMIT 0").ok();
    std::string head = std::string(kInsertHead) + (has_loc_ ? ", loc) VALUES " : ") VALUES ");
    std::string row = "(?";
    for (int i = 1; i < kColumns + (has_loc_ ? 1 : 0); ++i) row += ",?";
    row += ")";
    MXIR_ASSIGN_OR_RETURN(Statement st1, Statement::Prepare(db_, head + row));
    insert_one_.emplace(std::move(st1));
    // Many rows per statement: SQLite's per-statement cost is paid once per 64 events.
    std::string many = head;
    for (size_t i = 0; i < kRowsPerStatement; ++i) {
      many += i ? ", " : "";
      many += row;
    }
    MXIR_ASSIGN_OR_RETURN(Statement stn, Statement::Prepare(db_, many));
    insert_many_.emplace(std::move(stn));
    if (callers_tx_) MXIR_RETURN_IF_ERROR(strings_->Sync());
  }
  if (!in_tx_ && !callers_tx_) {
    MXIR_RETURN_IF_ERROR(BeginImmediate(db_));
    in_tx_ = true;
    // Under the write lock: the interned strings other writers added since our last batch.
    MXIR_RETURN_IF_ERROR(strings_->Sync());
  }
  return Status::Ok();
}

Status EventWriter::Add(const Event& e) {
  if (!failed_.ok()) return failed_;
  scratch_ = e;
  return Add(std::move(scratch_));
}

Status EventWriter::Add(Event&& e) {
  if (!failed_.ok()) return failed_;
  PrepareEvent(std::move(e), &prepared_);
  Status s = AddRow(prepared_);
  if (!s.ok()) Fail(s);
  return s;
}

Status EventWriter::Add(PreparedEvent&& p) {
  if (!failed_.ok()) return failed_;
  Status s = AddRow(p);
  if (!s.ok()) Fail(s);
  return s;
}

void EventWriter::PrepareEvent(Event&& e, PreparedEvent* p) {
  p->key = EventKey(e);
  p->loc = EventLocality(e);
  p->ts = e.ts.micros();
  p->kind = static_cast<int64_t>(e.kind);
  p->source = std::move(e.source);
  p->protocol = std::move(e.protocol);
  p->user = std::move(e.user);
  p->session = std::move(e.session);
  p->file = std::move(e.origin.file);
  p->client_ip = e.client_ip;
  p->server_ip = e.server_ip;
  p->client_port = e.client_port;
  p->server_port = e.server_port;
  p->line = e.origin.line;
  p->packet = e.origin.packet;
  p->index = e.origin.index;
  auto hash = [](std::string_view v) -> uint64_t {
    return v.empty() ? 0 : StringInterner::Hash(v);
  };
  p->source_hash = hash(p->source);
  p->protocol_hash = hash(p->protocol);
  p->user_hash = hash(p->user);
  p->file_hash = hash(std::string_view(p->file));
  ClearColumnFields(e);
  p->rest.json.clear();
  RestJson(e, p->rest.json);
  p->rest.Split();
}

void EventWriter::Fail(const Status& s) {
  // After a failed insert or commit (a full disk, an I/O error) the open batch is rolled back
  // and the writer refuses everything after: batches committed before stay intact, and nothing
  // is half-written. The buffered rows are dropped (they were in the rolled-back batch).
  failed_ = s;
  used_rows_ = 0;
  pending_ = 0;
  if (in_tx_) {
    (void)db_.Exec("ROLLBACK");
    in_tx_ = false;
  }
}

Status EventWriter::AddRow(PreparedEvent& p) {
  MXIR_RETURN_IF_ERROR(Prepare());
  Row& row = rows_[used_rows_];
  row.key = p.key;
  row.loc = p.loc;
  row.ts = p.ts;
  row.kind = p.kind;
  auto id = [&](std::string_view v, uint64_t hash, int64_t* out) -> Status {
    if (v.empty()) {
      *out = 0;
      return Status::Ok();
    }
    MXIR_ASSIGN_OR_RETURN(*out, strings_->IdHashed(v, hash));
    return Status::Ok();
  };
  MXIR_RETURN_IF_ERROR(id(p.source, p.source_hash, &row.source));
  MXIR_RETURN_IF_ERROR(id(p.protocol, p.protocol_hash, &row.protocol));
  // Sessions are stored inline (schema 9): about one new session id per four events (Postfix
  // queue ids, Dovecot session ids) made `strings` and its UNIQUE index on the text a random
  // insert per new session, the largest cost of storing.
  row.session.assign(p.session.str());
  MXIR_RETURN_IF_ERROR(id(p.user, p.user_hash, &row.user));
  MXIR_RETURN_IF_ERROR(id(std::string_view(p.file), p.file_hash, &row.file));
  auto ip = [](const std::optional<IpAddress>& a, uint8_t* out, size_t* len) {
    *len = 0;
    if (!a) return;
    std::memcpy(out, a->bytes(), a->size());
    *len = a->size();
  };
  ip(p.client_ip, row.client_ip, &row.client_ip_len);
  ip(p.server_ip, row.server_ip, &row.server_ip_len);
  row.client_port = p.client_port;
  row.server_port = p.server_port;
  row.line = p.line;
  row.packet = p.packet;
  row.index = p.index;
  MXIR_RETURN_IF_ERROR(rest_->Encode(p.rest, row.rest));
  if (++used_rows_ == kRowsPerStatement) MXIR_RETURN_IF_ERROR(FlushRows());
  if (++pending_ >= batch_size_ && !callers_tx_) MXIR_RETURN_IF_ERROR(Commit());
  return Status::Ok();
}

Status EventWriter::FlushRows() {
  if (used_rows_ == 0) return Status::Ok();
  const bool has_loc = has_loc_;
  const int columns = kColumns + (has_loc ? 1 : 0);
  // `nulls`: for insert_many_, which parameters hold NULL already (indexed like them, from 1).
  auto bind = [has_loc](Statement& st, int base, const Row& r, uint8_t* nulls) {
    auto null = [&](int i) {
      if (nulls == nullptr) {
        st.BindNull(i);
      } else if (!nulls[i]) {
        st.BindNull(i);
        nulls[i] = 1;
      }
    };
    auto set = [&](int i) {
      if (nulls != nullptr) nulls[i] = 0;
    };
    auto opt_id = [&](int i, int64_t v) {
      if (v == 0) {
        null(i);
      } else {
        st.Bind(i, v);
        set(i);
      }
    };
    auto opt_num = [&](int i, int64_t v) {
      if (v < 0) {
        null(i);
      } else {
        st.Bind(i, v);
        set(i);
      }
    };
    // The rows stay unchanged until the statement ran and was reset: no copies.
    auto opt_blob = [&](int i, const void* p, size_t n) {
      if (n == 0) {
        null(i);
      } else {
        st.BindBlobNoCopy(i, p, n);
        set(i);
      }
    };
    st.Bind(base + 1, r.key).Bind(base + 2, r.ts).Bind(base + 3, r.kind);
    opt_id(base + 4, r.source);
    opt_id(base + 5, r.protocol);
    // A BLOB, never TEXT: the column's INTEGER affinity would turn a text "12345" into a number
    // (which a reader would take for an id of `strings`).
    opt_blob(base + 6, r.session.data(), r.session.size());
    opt_blob(base + 7, r.client_ip, r.client_ip_len);
    opt_num(base + 8, r.client_port);
    opt_blob(base + 9, r.server_ip, r.server_ip_len);
    opt_num(base + 10, r.server_port);
    opt_id(base + 11, r.user);
    opt_id(base + 12, r.file);
    opt_num(base + 13, r.line);
    opt_num(base + 14, r.packet);
    st.Bind(base + 15, r.index);
    opt_blob(base + 16, r.rest.data(), r.rest.size());
    if (has_loc) st.Bind(base + 17, r.loc);
  };
  int64_t changed = 0;
  if (used_rows_ == kRowsPerStatement) {
    Statement& st = *insert_many_;
    // Every parameter is bound again below, or holds NULL from the last run and is to be NULL.
    const size_t params = kRowsPerStatement * static_cast<size_t>(columns) + 1;
    if (many_null_.size() != params) many_null_.assign(params, 0);
    for (size_t i = 0; i < used_rows_; ++i) {
      bind(st, static_cast<int>(i) * columns, rows_[i], many_null_.data());
    }
    Status s = st.Run();
    if (s.ok()) changed = db_.Changes();
    st.ResetKeepingBinds();
    MXIR_RETURN_IF_ERROR(s);
  } else {
    Statement& st = *insert_one_;
    for (size_t i = 0; i < used_rows_; ++i) {
      st.Reset();
      bind(st, 0, rows_[i], nullptr);
      MXIR_RETURN_IF_ERROR(st.Run());
      changed += db_.Changes();
    }
    st.Reset();
  }
  inserted_ += changed;
  duplicates_ += static_cast<int64_t>(used_rows_) - changed;
  used_rows_ = 0;
  return Status::Ok();
}

Status EventWriter::Commit() {
  if (!failed_.ok()) return failed_;
  Status s = CommitRows();
  if (!s.ok()) Fail(s);
  return s;
}

Status EventWriter::CommitRows() {
  MXIR_RETURN_IF_ERROR(FlushRows());
  MXIR_RETURN_IF_ERROR(strings_->Flush());
  if (!in_tx_) return Status::Ok();
  MXIR_RETURN_IF_ERROR(CommitWithRetry(db_));
  if (checkpointer_) checkpointer_->Committed();
  in_tx_ = false;
  pending_ = 0;
  return Status::Ok();
}

Status EventWriter::Finish() { return Commit(); }

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
