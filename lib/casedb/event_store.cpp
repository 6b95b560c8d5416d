#include "casedb/event_store.h"

#include <algorithm>
#include <cstring>

#include "casedb/event_codec.h"
#include "casedb/string_table.h"
#include "casedb/wal_checkpointer.h"

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

}  // namespace mxir::casedb
