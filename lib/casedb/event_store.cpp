#include "casedb/event_store.h"

#include <algorithm>
#include <cstring>

#include "casedb/event_codec.h"
#include "core/event_json.h"

namespace mxir::casedb {

// Interned strings (`strings`) and field names (`event_fields`) for one writer: a cache in front
// of a SELECT and an INSERT. Ids are only ever added, so a cached id stays valid.
class StringInterner {
 public:
  explicit StringInterner(Database& db) : db_(db) {}

  Result<int64_t> Id(std::string_view value) {
    return Lookup(value, strings_, find_, add_, "strings");
  }
  Result<int64_t> FieldId(std::string_view name) {
    return Lookup(name, fields_, find_field_, add_field_, "event_fields");
  }

 private:
  using Cache = std::unordered_map<std::string, int64_t>;
  Result<int64_t> Lookup(std::string_view value, Cache& cache, std::optional<Statement>& find,
                         std::optional<Statement>& add, const char* table) {
    thread_local std::string key;
    key.assign(value);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    std::string t = table;
    std::string col = t == "strings" ? "value" : "name";
    if (!find) {
      MXIR_ASSIGN_OR_RETURN(
          Statement f, Statement::Prepare(db_, "SELECT id FROM " + t + " WHERE " + col + " = ?1"));
      find.emplace(std::move(f));
      MXIR_ASSIGN_OR_RETURN(
          Statement a, Statement::Prepare(db_, "INSERT INTO " + t + " (" + col + ") VALUES (?1)"));
      add.emplace(std::move(a));
    }
    find->Reset();
    find->BindTextNoCopy(1, value);
    MXIR_ASSIGN_OR_RETURN(bool row, find->Step());
    int64_t id = 0;
    if (row) {
      id = find->ColumnInt(0);
      find->Reset();
    } else {
      find->Reset();
      add->Reset();
      add->BindTextNoCopy(1, value);
      MXIR_RETURN_IF_ERROR(add->Run());
      add->Reset();
      id = db_.LastInsertRowId();
    }
    cache.emplace(key, id);
    return id;
  }

  Database& db_;
  Cache strings_, fields_;
  std::optional<Statement> find_, add_, find_field_, add_field_;
};

namespace {

constexpr uint8_t kInternedString = 0x01;  // then a varint string id
constexpr uint8_t kFieldToken = 0x80;      // 0x80 + id for ids < 127
constexpr uint8_t kFieldTokenLong = 0xff;  // then a varint id

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(0x80 | (v & 0x7f)));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// The end of the JSON value starting at `pos` (a string, number, literal, array or object, as
// the Event writer makes them): the index of the ',' that follows it at top level, or the size.
size_t ValueEnd(std::string_view s, size_t pos) {
  int depth = 0;
  bool in_str = false;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_str = false;
      }
    } else if (c == '"') {
      in_str = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return s.size();
}

}  // namespace

// The compact form of the rest's JSON members (event_codec.h).
class RestEncoder {
 public:
  explicit RestEncoder(StringInterner* strings) : strings_(strings) {}

  // `json` is RestJson()'s output; appends the stored form to `out` (empty: store NULL).
  Status Encode(std::string_view json, std::string& out) {
    out.clear();
    if (json.empty()) return Status::Ok();
    if (json.front() != ',') {  // a layout this encoder does not know: kept whole
      out.assign(json);
      return Status::Ok();
    }
    size_t pos = 0;
    while (pos < json.size()) {
      // ,"name":value
      size_t name_end = json.find('"', pos + 2);
      if (json[pos] != ',' || pos + 1 >= json.size() || json[pos + 1] != '"' ||
          name_end == std::string_view::npos || name_end + 1 >= json.size() ||
          json[name_end + 1] != ':') {
        out.assign("{\"ts\":\"1970-01-01T00:00:00Z\"");  // never expected; kept whole
        out.append(json);
        out.push_back('}');
        return Status::Ok();
      }
      std::string_view name = json.substr(pos + 2, name_end - pos - 2);
      MXIR_ASSIGN_OR_RETURN(int64_t field, strings_->FieldId(name));
      if (field < 0x7f) {
        out.push_back(static_cast<char>(kFieldToken + field));
      } else {
        out.push_back(static_cast<char>(kFieldTokenLong));
        PutVarint(out, static_cast<uint64_t>(field));
      }
      size_t v = name_end + 2;
      size_t end = ValueEnd(json, v);
      std::string_view value = json.substr(v, end - v);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"' && value.size() <= 258 &&
          Intern(field)) {
        std::string_view inner = value.substr(1, value.size() - 2);
        MXIR_ASSIGN_OR_RETURN(int64_t id, strings_->Id(inner));
        Stats& st = stats_[field];
        ++st.seen;
        if (id > max_id_) {
          ++st.fresh;
          max_id_ = id;
        }
        out.push_back(static_cast<char>(kInternedString));
        PutVarint(out, static_cast<uint64_t>(id));
      } else {
        out.append(value);
      }
      pos = end;
    }
    return Status::Ok();
  }

 private:
  struct Stats {
    int64_t seen = 0, fresh = 0;
  };
  // A field's strings are interned while most of its values repeat (judged after 512 values).
  bool Intern(int64_t field) {
    const Stats& st = stats_[field];
    return st.seen < 512 || st.fresh * 2 < st.seen;
  }

  StringInterner* strings_;
  std::unordered_map<int64_t, Stats> stats_;
  int64_t max_id_ = 0;
};

namespace {

// Strings and field names by id, for reading.
class StringCache {
 public:
  explicit StringCache(Database& db) : db_(db) {}

  Status LoadAll() {
    MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db_, "SELECT id, value FROM strings"));
    for (;;) {
      MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      strings_.emplace(st.ColumnInt(0), SharedString(st.ColumnText(1)));
    }
    return Status::Ok();
  }

  Result<const SharedString*> Get(int64_t id) {
    auto it = strings_.find(id);
    if (it != strings_.end()) return &it->second;
    if (!find_) {
      MXIR_ASSIGN_OR_RETURN(Statement f,
                            Statement::Prepare(db_, "SELECT value FROM strings WHERE id = ?1"));
      find_.emplace(std::move(f));
    }
    find_->Reset();
    find_->Bind(1, id);
    MXIR_ASSIGN_OR_RETURN(bool row, find_->Step());
    if (!row) return MakeError(ErrorCode::kCorrupt, "string " + std::to_string(id) + " is missing");
    auto [pos, added] = strings_.emplace(id, SharedString(find_->ColumnText(0)));
    find_->Reset();
    return &pos->second;
  }

  Result<const std::string*> Field(int64_t id) {
    auto it = fields_.find(id);
    if (it != fields_.end()) return &it->second;
    if (!find_field_) {
      MXIR_ASSIGN_OR_RETURN(Statement f,
                            Statement::Prepare(db_, "SELECT name FROM event_fields WHERE id = ?1"));
      find_field_.emplace(std::move(f));
    }
    find_field_->Reset();
    find_field_->Bind(1, id);
    MXIR_ASSIGN_OR_RETURN(bool row, find_field_->Step());
    if (!row) return MakeError(ErrorCode::kCorrupt, "field " + std::to_string(id) + " is missing");
    auto [pos, added] = fields_.emplace(id, find_field_->ColumnText(0));
    find_field_->Reset();
    return &pos->second;
  }

 private:
  Database& db_;
  std::unordered_map<int64_t, SharedString> strings_;
  std::unordered_map<int64_t, std::string> fields_;
  std::optional<Statement> find_, find_field_;
};

// Rebuilds the JSON of the rest (event_codec.h) into `json`: a whole object to parse.
Status DecodeRest(std::string_view blob, EventKind kind, StringCache& cache, std::string& json) {
  json.clear();
  if (!blob.empty() && blob.front() == '{') {
    json.assign(blob);
    return Status::Ok();
  }
  json.append("{\"ts\":\"1970-01-01T00:00:00Z\",\"kind\":\"");
  json.append(EventKindName(kind));
  json.push_back('"');
  size_t pos = 0;
  bool in_str = false;
  while (pos < blob.size()) {
    uint8_t b = static_cast<uint8_t>(blob[pos]);
    if (in_str) {
      json.push_back(static_cast<char>(b));
      ++pos;
      if (b == '\\' && pos < blob.size()) {
        json.push_back(blob[pos++]);
      } else if (b == '"') {
        in_str = false;
      }
      continue;
    }
    if (b >= kFieldToken) {
      uint64_t id = b - kFieldToken;
      ++pos;
      if (b == kFieldTokenLong && !GetVarint(blob, &pos, &id)) {
        return MakeError(ErrorCode::kCorrupt, "bad field token");
      }
      MXIR_ASSIGN_OR_RETURN(const std::string* name, cache.Field(static_cast<int64_t>(id)));
      json.append(",\"");
      json.append(*name);
      json.append("\":");
    } else if (b == kInternedString) {
      ++pos;
      uint64_t id = 0;
      if (!GetVarint(blob, &pos, &id)) return MakeError(ErrorCode::kCorrupt, "bad string token");
      MXIR_ASSIGN_OR_RETURN(const SharedString* s, cache.Get(static_cast<int64_t>(id)));
      json.push_back('"');
      json.append(s->str());
      json.push_back('"');
    } else {
      if (b == '"') in_str = true;
      json.push_back(static_cast<char>(b));
      ++pos;
    }
  }
  json.push_back('}');
  return Status::Ok();
}

constexpr const char* kInsertHead =
    "INSERT OR IGNORE INTO events (key, ts, kind, source, protocol, session, client_ip, "
    "client_port, server_ip, server_port, user, file, line, packet, idx, rest) VALUES ";
constexpr const char* kRowPlaceholders = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr int kColumns = 16;

}  // namespace

EventWriter::EventWriter(CaseDb& c, size_t batch_size)
    : db_(c.db()),
      batch_size_(std::max<size_t>(batch_size, 1)),
      strings_(std::make_unique<StringInterner>(c.db())),
      rest_(std::make_unique<RestEncoder>(strings_.get())),
      rows_(kRowsPerStatement) {}

EventWriter::EventWriter(Database& db, bool in_callers_transaction)
    : db_(db),
      batch_size_(20000),
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
      MXIR_RETURN_IF_ERROR(db_.Exec("PRAGMA wal_autocheckpoint = 16384"));
    }
    std::string one = std::string(kInsertHead) + kRowPlaceholders;
    MXIR_ASSIGN_OR_RETURN(Statement st1, Statement::Prepare(db_, one));
    insert_one_.emplace(std::move(st1));
    // Many rows per statement: SQLite's per-statement cost is paid once per 64 events.
    std::string many = kInsertHead;
    for (size_t i = 0; i < kRowsPerStatement; ++i) {
      many += i ? ", " : "";
      many += kRowPlaceholders;
    }
    MXIR_ASSIGN_OR_RETURN(Statement stn, Statement::Prepare(db_, many));
    insert_many_.emplace(std::move(stn));
  }
  if (!in_tx_ && !callers_tx_) {
    MXIR_RETURN_IF_ERROR(BeginImmediate(db_));
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
    (void)db_.Exec("ROLLBACK");
    in_tx_ = false;
  }
}

Status EventWriter::AddRow(const Event& e) {
  MXIR_RETURN_IF_ERROR(Prepare());
  Row& row = rows_[used_rows_];
  row.key = EventKey(e);
  row.ts = e.ts.micros();
  row.kind = static_cast<int64_t>(e.kind);
  auto id = [&](std::string_view v, int64_t* out) -> Status {
    if (v.empty()) {
      *out = 0;
      return Status::Ok();
    }
    MXIR_ASSIGN_OR_RETURN(*out, strings_->Id(v));
    return Status::Ok();
  };
  MXIR_RETURN_IF_ERROR(id(e.source, &row.source));
  MXIR_RETURN_IF_ERROR(id(e.protocol, &row.protocol));
  MXIR_RETURN_IF_ERROR(id(e.session, &row.session));
  MXIR_RETURN_IF_ERROR(id(e.user, &row.user));
  MXIR_RETURN_IF_ERROR(id(e.origin.file, &row.file));
  auto ip = [](const std::optional<IpAddress>& a, uint8_t* out, size_t* len) {
    *len = 0;
    if (!a) return;
    std::memcpy(out, a->bytes(), a->size());
    *len = a->size();
  };
  ip(e.client_ip, row.client_ip, &row.client_ip_len);
  ip(e.server_ip, row.server_ip, &row.server_ip_len);
  row.client_port = e.client_port;
  row.server_port = e.server_port;
  row.line = e.origin.line;
  row.packet = e.origin.packet;
  row.index = e.origin.index;
  scratch_ = e;
  ClearColumnFields(scratch_);
  rest_json_.clear();
  RestJson(scratch_, rest_json_);
  MXIR_RETURN_IF_ERROR(rest_->Encode(rest_json_, row.rest));
  if (++used_rows_ == kRowsPerStatement) MXIR_RETURN_IF_ERROR(FlushRows());
  if (++pending_ >= batch_size_ && !callers_tx_) MXIR_RETURN_IF_ERROR(Commit());
  return Status::Ok();
}

Status EventWriter::FlushRows() {
  if (used_rows_ == 0) return Status::Ok();
  auto bind = [](Statement& st, int base, const Row& r) {
    auto opt_id = [&](int i, int64_t v) {
      if (v == 0) {
        st.BindNull(i);
      } else {
        st.Bind(i, v);
      }
    };
    auto opt_num = [&](int i, int64_t v) {
      if (v < 0) {
        st.BindNull(i);
      } else {
        st.Bind(i, v);
      }
    };
    auto opt_blob = [&](int i, const void* p, size_t n) {
      if (n == 0) {
        st.BindNull(i);
      } else {
        st.BindBlob(i, p, n);
      }
    };
    st.Bind(base + 1, r.key).Bind(base + 2, r.ts).Bind(base + 3, r.kind);
    opt_id(base + 4, r.source);
    opt_id(base + 5, r.protocol);
    opt_id(base + 6, r.session);
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
  };
  int64_t changed = 0;
  if (used_rows_ == kRowsPerStatement) {
    Statement& st = *insert_many_;
    st.Reset();
    for (size_t i = 0; i < used_rows_; ++i) bind(st, static_cast<int>(i) * kColumns, rows_[i]);
    MXIR_RETURN_IF_ERROR(st.Run());
    changed = db_.Changes();
    st.Reset();
  } else {
    Statement& st = *insert_one_;
    for (size_t i = 0; i < used_rows_; ++i) {
      st.Reset();
      bind(st, 0, rows_[i]);
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
  if (!in_tx_) return Status::Ok();
  MXIR_RETURN_IF_ERROR(CommitWithRetry(db_));
  in_tx_ = false;
  pending_ = 0;
  return Status::Ok();
}

Status EventWriter::Finish() { return Commit(); }

namespace {

constexpr const char* kSelectColumns =
    "SELECT id, ts, kind, source, protocol, session, client_ip, client_port, server_ip, "
    "server_port, user, file, line, packet, idx, rest FROM events ";

// Reads one row of kSelectColumns into `e`.
class RowDecoder {
 public:
  explicit RowDecoder(Database& db) : cache_(db) {}
  Status LoadAll() { return cache_.LoadAll(); }

  Status Decode(Statement& st, Event* e) {
    int64_t kind = st.ColumnInt(2);
    if (kind < 0 || kind >= EventKindCount()) {
      return MakeError(ErrorCode::kCorrupt, "unknown kind");
    }
    MXIR_RETURN_IF_ERROR(
        DecodeRest(st.ColumnBlob(15), static_cast<EventKind>(kind), cache_, json_));
    MXIR_RETURN_IF_ERROR(reader_.Parse(json_, e));
    e->ts = Timestamp::FromMicros(st.ColumnInt(1));
    e->kind = static_cast<EventKind>(kind);
    auto str = [&](int col, std::string* out) -> Status {
      if (st.ColumnIsNull(col)) return Status::Ok();
      MXIR_ASSIGN_OR_RETURN(const SharedString* s, cache_.Get(st.ColumnInt(col)));
      *out = s->str();
      return Status::Ok();
    };
    auto shared = [&](int col, SharedString* out) -> Status {
      if (st.ColumnIsNull(col)) return Status::Ok();
      MXIR_ASSIGN_OR_RETURN(const SharedString* s, cache_.Get(st.ColumnInt(col)));
      *out = *s;
      return Status::Ok();
    };
    auto ip = [&](int col, std::optional<IpAddress>* out) {
      std::string_view b = st.ColumnBlob(col);
      if (b.size() != 4 && b.size() != 16) return;
      *out = IpAddress::FromBytes(reinterpret_cast<const uint8_t*>(b.data()), b.size() == 16);
    };
    auto num = [&](int col, auto* out) {
      if (!st.ColumnIsNull(col))
        *out = static_cast<std::remove_pointer_t<decltype(out)>>(st.ColumnInt(col));
    };
    MXIR_RETURN_IF_ERROR(str(3, &e->source));
    MXIR_RETURN_IF_ERROR(str(4, &e->protocol));
    MXIR_RETURN_IF_ERROR(shared(5, &e->session));
    ip(6, &e->client_ip);
    num(7, &e->client_port);
    ip(8, &e->server_ip);
    num(9, &e->server_port);
    MXIR_RETURN_IF_ERROR(str(10, &e->user));
    MXIR_RETURN_IF_ERROR(shared(11, &e->origin.file));
    num(12, &e->origin.line);
    num(13, &e->origin.packet);
    num(14, &e->origin.index);
    return Status::Ok();
  }

 private:
  StringCache cache_;
  EventReader reader_;
  std::string json_;
};

}  // namespace

Status ForEachEvent(CaseDb& c, const EventFilter& filter,
                    const std::function<bool(const Event&)>& fn, int64_t* skipped,
                    int64_t* last_id) {
  std::string sql = kSelectColumns;
  if (filter.after_id > 0) {
    sql += "WHERE id > ?3 AND ts >= ?1 AND ts < ?2 ORDER BY id";
  } else {
    sql += "WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id";
  }
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(c.db(), sql));
  st.BindTimeRange(1, filter.since, filter.until);
  if (filter.after_id > 0) st.Bind(3, filter.after_id);
  RowDecoder decoder(c.db());
  // A whole read needs most strings: one pass over the table beats a lookup per string.
  if (filter.after_id == 0 && !filter.since && !filter.until) {
    MXIR_RETURN_IF_ERROR(decoder.LoadAll());
  }
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

Status ForEachEventJson(CaseDb& c,
                        const std::function<void(int64_t id, const std::string& json)>& fn) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c.db(), std::string(kSelectColumns) + "ORDER BY id"));
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
