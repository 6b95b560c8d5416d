#include "casedb/event_store.h"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "core/event_json.h"

namespace mxir::casedb {

std::string EventIdentity(const Event& e, std::string_view json) {
  // With known provenance the identity is (file hash, line or packet, index, kind), laid out so
  // that the events of one file get increasing keys: the unique index then grows at its end
  // instead of taking random inserts, which keeps bulk loads fast.
  uint8_t key[16];
  if (!e.origin.sha256.empty()) {
    XXH64_hash_t file = XXH3_64bits(e.origin.sha256.data(), e.origin.sha256.size());
    uint64_t where = static_cast<uint64_t>(e.origin.line >= 0 ? e.origin.line : e.origin.packet);
    uint64_t low = (where << 16) | (static_cast<uint64_t>(e.origin.index & 0xfff) << 4) |
                   static_cast<uint64_t>(e.kind);
    if (e.origin.line < 0) low |= uint64_t{1} << 63;  // packets and lines never collide
    for (int i = 0; i < 8; ++i) {
      key[i] = static_cast<uint8_t>(file >> (56 - 8 * i));
      key[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
    }
  } else {
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits(json.data(), json.size()));
    std::memcpy(key, canon.digest, sizeof key);
  }
  return std::string(reinterpret_cast<const char*>(key), sizeof key);
}

EventWriter::EventWriter(CaseDb& c, size_t batch_size)
    : c_(c), batch_size_(std::max<size_t>(batch_size, 1)), rows_(kRowsPerStatement) {}

EventWriter::~EventWriter() { (void)Finish(); }

namespace {
constexpr const char* kInsertHead =
    "INSERT OR IGNORE INTO events (key, ts, kind, source, session, client_ip, user, json) VALUES ";
constexpr const char* kRowPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?)";
constexpr int kColumns = 8;
}  // namespace

Status EventWriter::Prepare() {
  if (!insert_one_) {
    // A larger page cache for bulk loads (this connection only).
    MXIR_RETURN_IF_ERROR(c_.db().Exec("PRAGMA cache_size = -65536"));
    MXIR_RETURN_IF_ERROR(c_.db().Exec("PRAGMA wal_autocheckpoint = 16384"));
    std::string one = std::string(kInsertHead) + kRowPlaceholders;
    MXIR_ASSIGN_OR_RETURN(Statement st1, Statement::Prepare(c_.db(), one));
    insert_one_.emplace(std::move(st1));
    // Many rows per statement: SQLite's per-statement cost is paid once per 64 events.
    std::string many = kInsertHead;
    for (size_t i = 0; i < kRowsPerStatement; ++i) {
      many += i ? ", " : "";
      many += kRowPlaceholders;
    }
    MXIR_ASSIGN_OR_RETURN(Statement stn, Statement::Prepare(c_.db(), many));
    insert_many_.emplace(std::move(stn));
  }
  if (!in_tx_) {
    MXIR_RETURN_IF_ERROR(BeginImmediate(c_.db()));
    in_tx_ = true;
  }
  return Status::Ok();
}

Status EventWriter::Add(const Event& e) {
  if (!failed_.ok()) return failed_;
  Status s = AddRow(e);
  if (!s.ok()) Fail(s);
  return s;
}

void EventWriter::Fail(const Status& s) {
  // After a failed insert or commit (a full disk, an I/O error) the open batch is rolled back
  // and the writer refuses everything after: batches committed before stay intact, and nothing
  // is half-written. The buffered rows are dropped (they were in the rolled-back batch).
  failed_ = s;
  used_rows_ = 0;
  pending_ = 0;
  if (in_tx_) {
    (void)c_.db().Exec("ROLLBACK");
    in_tx_ = false;
  }
}

Status EventWriter::AddRow(const Event& e) {
  MXIR_RETURN_IF_ERROR(Prepare());
  Row& row = rows_[used_rows_];
  row.json.clear();
  AppendEventJson(row.json, e);
  row.key = EventIdentity(e, row.json);
  row.ts = e.ts.micros();
  row.kind = EventKindName(e.kind);
  row.source = e.source;
  row.session = e.session;
  row.client_ip.clear();
  if (e.client_ip) e.client_ip->AppendTo(row.client_ip);
  row.user = e.user;
  if (++used_rows_ == kRowsPerStatement) MXIR_RETURN_IF_ERROR(FlushRows());
  if (++pending_ >= batch_size_) MXIR_RETURN_IF_ERROR(Commit());
  return Status::Ok();
}

Status EventWriter::FlushRows() {
  if (used_rows_ == 0) return Status::Ok();
  auto bind = [](Statement& st, int base, const Row& r) {
    st.BindBlob(base + 1, r.key.data(), r.key.size()).Bind(base + 2, r.ts);
    st.BindTextNoCopy(base + 3, r.kind).BindTextNoCopy(base + 4, r.source);
    auto opt = [&](int i, const std::string& v) {
      if (v.empty()) {
        st.BindNull(i);
      } else {
        st.BindTextNoCopy(i, v);
      }
    };
    opt(base + 5, r.session);
    opt(base + 6, r.client_ip);
    opt(base + 7, r.user);
    st.BindTextNoCopy(base + 8, r.json);
  };
  int64_t changed = 0;
  if (used_rows_ == kRowsPerStatement) {
    Statement& st = *insert_many_;
    st.Reset();
    for (size_t i = 0; i < used_rows_; ++i) bind(st, static_cast<int>(i) * kColumns, rows_[i]);
    MXIR_RETURN_IF_ERROR(st.Run());
    changed = c_.db().Changes();
    st.Reset();
  } else {
    Statement& st = *insert_one_;
    for (size_t i = 0; i < used_rows_; ++i) {
      st.Reset();
      bind(st, 0, rows_[i]);
      MXIR_RETURN_IF_ERROR(st.Run());
      changed += c_.db().Changes();
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
  if (!in_tx_) return Status::Ok();
  MXIR_RETURN_IF_ERROR(CommitWithRetry(c_.db()));
  in_tx_ = false;
  pending_ = 0;
  return Status::Ok();
}

Status EventWriter::Finish() { return Commit(); }

Status ForEachEvent(CaseDb& c, const EventFilter& filter,
                    const std::function<bool(const Event&)>& fn, int64_t* skipped) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c.db(),
                         "SELECT json FROM events WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id"));
  st.BindTimeRange(1, filter.since, filter.until);
  EventReader reader;
  Event e;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    std::string json = st.ColumnText(0);
    if (!reader.Parse(json, &e).ok()) {
      if (skipped) ++*skipped;
      continue;
    }
    if (!fn(e)) break;
  }
  return Status::Ok();
}

Result<int64_t> CountEvents(CaseDb& c) {
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(c.db(), "SELECT count(*) FROM events"));
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

}  // namespace mxir::casedb
