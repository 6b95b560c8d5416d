#include "casedb/string_table.h"

#include <algorithm>
#include <cstring>

// Inlined: most values hashed here are a few bytes long, where a call into the library costs
// as much as the hash.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/json_writer.h"

namespace mxir::casedb {

namespace {

// A table this small is loaded whole at a writer's first Sync (a few ms)...
constexpr int64_t kWholeUpTo = 1 << 16;
// ...a larger one once this writer has added this many new values: it is loading in bulk, and
// one pass over the table costs less than a SELECT per new value from then on.
constexpr int64_t kWholeAfterMisses = 4096;
constexpr size_t kArenaChunk = 1 << 20;
constexpr size_t kRowsPerInsert = 64;

uint64_t HashOf(std::string_view v) {
  uint64_t h = XXH3_64bits(v.data(), v.size());
  return h != 0 ? h : 1;
}

}  // namespace

uint64_t StringInterner::Hash(std::string_view value) { return HashOf(value); }

StringInterner::StringInterner(Database& db)
    : db_(db), strings_("strings", "value"), fields_("event_fields", "name") {}

StringInterner::~StringInterner() = default;

Status StringInterner::Sync() {
  MXIR_RETURN_IF_ERROR(strings_.Sync(db_));
  return fields_.Sync(db_);
}

Status StringInterner::Flush() {
  MXIR_RETURN_IF_ERROR(strings_.Flush(db_));
  return fields_.Flush(db_);
}

StringInterner::Table::Slot* StringInterner::Table::Find(uint64_t hash, std::string_view value) {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.id == 0) return &s;
    if (s.hash == hash && s.size == value.size() &&
        (value.empty() || std::memcmp(s.data, value.data(), value.size()) == 0)) {
      return &s;
    }
  }
}

void StringInterner::Table::Add(Slot* slot, uint64_t hash, std::string_view value, int64_t id) {
  if (arena_left_ < value.size()) {
    size_t n = std::max(kArenaChunk, value.size());
    arena_.push_back(std::make_unique<char[]>(n));
    arena_next_ = arena_.back().get();
    arena_left_ = n;
  }
  if (!value.empty()) std::memcpy(arena_next_, value.data(), value.size());
  slot->hash = hash;
  slot->data = arena_next_;
  slot->size = static_cast<uint32_t>(value.size());
  slot->id = id;
  arena_next_ += value.size();
  arena_left_ -= value.size();
  if (id > max_id_ && whole_) max_id_ = id;
  if (++used_ * 2 > slots_.size()) Grow();
}

void StringInterner::Table::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

Status StringInterner::Table::PrepareStatements(Database& db) {
  if (find_) return Status::Ok();
  std::string t = table_, c = column_;
  MXIR_ASSIGN_OR_RETURN(Statement f,
                        Statement::Prepare(db, "SELECT id FROM " + t + " WHERE " + c + " = ?1"));
  find_.emplace(std::move(f));
  MXIR_ASSIGN_OR_RETURN(Statement a, Statement::Prepare(db, "INSERT OR IGNORE INTO " + t + " (" +
                                                                c + ") VALUES (?1)"));
  add_.emplace(std::move(a));
  return Status::Ok();
}

Result<int64_t> StringInterner::Table::Lookup(Database& db, std::string_view value, uint64_t hash) {
  Slot* slot = Find(hash, value);
  if (slot->id != 0) return slot->id;
  MXIR_RETURN_IF_ERROR(PrepareStatements(db));
  ++misses_;
  auto find = [&]() -> Result<int64_t> {
    find_->Reset();
    find_->BindTextNoCopy(1, value);
    MXIR_ASSIGN_OR_RETURN(bool row, find_->Step());
    int64_t id = row ? find_->ColumnInt(0) : 0;
    find_->Reset();
    return id;
  };
  if (deferred_) {  // the whole table is cached and this writer holds the write lock
    int64_t id = max_id_ + 1;
    Add(slot, hash, value, id);  // slot stays valid: the table grows only after filling it
    const Slot* added = Find(hash, value);
    pending_.push_back({id, added->data, added->size});
    if (pending_.size() >= kRowsPerInsert) MXIR_RETURN_IF_ERROR(Flush(db));
    return id;
  }
  int64_t id = 0;
  // Not all of the table is cached: the value may be stored already (an earlier run).
  if (!whole_) {
    MXIR_ASSIGN_OR_RETURN(id, find());
  }
  if (id == 0) {
    add_->Reset();
    add_->BindTextNoCopy(1, value);
    MXIR_RETURN_IF_ERROR(add_->Run());
    if (db.Changes() > 0) id = db.LastInsertRowId();
    add_->Reset();
    // Ignored: another writer stored it since the last Sync.
    if (id == 0) {
      MXIR_ASSIGN_OR_RETURN(id, find());
    }
    if (id == 0) {
      return MakeError(ErrorCode::kCorrupt,
                       std::string("could not store a value in the case's ") + table_ + " table");
    }
  }
  Add(slot, hash, value, id);
  return id;
}

Status StringInterner::Table::Load(Database& db, int64_t after_id) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(db, std::string("SELECT id, ") + column_ + " FROM " +
                                                   table_ + " WHERE id > ?1 ORDER BY id"));
  st.Bind(1, after_id);
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    int64_t id = st.ColumnInt(0);
    std::string_view value = st.ColumnBlob(1);
    uint64_t hash = HashOf(value);
    Slot* slot = Find(hash, value);
    if (slot->id == 0) Add(slot, hash, value, id);
    max_id_ = std::max(max_id_, id);
  }
  return Status::Ok();
}

Status StringInterner::Table::Flush(Database& db) {
  deferred_ = false;
  if (pending_.empty()) return Status::Ok();
  if (!add_many_) {
    std::string head = std::string("INSERT INTO ") + table_ + " (id, " + column_ + ") VALUES ";
    MXIR_ASSIGN_OR_RETURN(Statement one, Statement::Prepare(db, head + "(?, ?)"));
    add_one_.emplace(std::move(one));
    std::string many = head;
    for (size_t i = 0; i < kRowsPerInsert; ++i) many += i ? ", (?, ?)" : "(?, ?)";
    MXIR_ASSIGN_OR_RETURN(Statement m, Statement::Prepare(db, many));
    add_many_.emplace(std::move(m));
  }
  size_t i = 0;
  while (i < pending_.size()) {
    size_t n = pending_.size() - i >= kRowsPerInsert ? kRowsPerInsert : 1;
    Statement& st = n == kRowsPerInsert ? *add_many_ : *add_one_;
    st.Reset();
    for (size_t k = 0; k < n; ++k) {
      const Pending& p = pending_[i + k];
      st.Bind(static_cast<int>(2 * k + 1), p.id);
      st.BindTextNoCopy(static_cast<int>(2 * k + 2), std::string_view(p.data, p.size));
    }
    Status s = st.Run();
    st.Reset();
    if (!s.ok()) {
      pending_.clear();
      return s;
    }
    i += n;
  }
  pending_.clear();
  return Status::Ok();
}

Status StringInterner::Table::Sync(Database& db) {
  MXIR_RETURN_IF_ERROR(Flush(db));
  // Ids are handed out ahead of the INSERT only while this connection holds the write lock (no
  // other writer can take them meanwhile).
  const bool locked = sqlite3_txn_state(db.handle(), "main") == SQLITE_TXN_WRITE;
  if (whole_) {
    MXIR_RETURN_IF_ERROR(Load(db, max_id_));
    deferred_ = locked;
    return Status::Ok();
  }
  if (!sized_) {
    sized_ = true;
    MXIR_ASSIGN_OR_RETURN(
        Statement st,
        Statement::Prepare(db, std::string("SELECT coalesce(max(id), 0) FROM ") + table_));
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.ColumnInt(0) > kWholeUpTo) return Status::Ok();
  } else if (misses_ < kWholeAfterMisses) {
    return Status::Ok();
  }
  MXIR_RETURN_IF_ERROR(Load(db, 0));
  whole_ = true;
  deferred_ = locked;
  return Status::Ok();
}

namespace {

bool PlainJsonText(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\') return false;
  }
  return IsValidUtf8(s);
}

}  // namespace

StringCache::Entry* StringCache::Slot(int64_t id) {
  if (id <= 0) return nullptr;
  constexpr int64_t kDenseSlack = 1 << 20;
  if (static_cast<uint64_t>(id) < strings_.size()) return &strings_[id];
  if (id < static_cast<int64_t>(strings_.size()) + kDenseSlack) {
    strings_.resize(static_cast<size_t>(id) + 1);
    return &strings_[id];
  }
  return &sparse_[id];
}

Status StringCache::Fill(Entry* e, std::string_view value) {
  if (value.size() > UINT32_MAX) return MakeError(ErrorCode::kCorrupt, "a string is too long");
  if (value.size() > arena_left_) {
    const size_t n = std::max(kArenaChunk, value.size());
    arena_.push_back(std::make_unique<char[]>(n));
    arena_next_ = arena_.back().get();
    arena_left_ = n;
  }
  if (!value.empty()) std::memcpy(arena_next_, value.data(), value.size());
  e->data = arena_next_;
  e->size = static_cast<uint32_t>(value.size());
  arena_next_ += value.size();
  arena_left_ -= value.size();
  e->plain_json = PlainJsonText(value);
  e->shared = SharedString();
  e->loaded = true;
  return Status::Ok();
}

Status StringCache::LoadAll() {
  {
    MXIR_ASSIGN_OR_RETURN(Statement st,
                          Statement::Prepare(db_, "SELECT coalesce(max(id), 0) FROM strings"));
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    int64_t max_id = row ? st.ColumnInt(0) : 0;
    if (max_id > 0 && max_id < (int64_t{1} << 31))
      strings_.reserve(static_cast<size_t>(max_id) + 1);
  }
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db_, "SELECT id, value FROM strings"));
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Entry* e = Slot(st.ColumnInt(0));
    if (!e) continue;
    MXIR_RETURN_IF_ERROR(Fill(e, st.ColumnTextView(1)));
  }
  return Status::Ok();
}

Result<StringCache::Entry*> StringCache::Miss(int64_t id) {
  if (id > 0 && static_cast<uint64_t>(id) >= strings_.size()) {
    auto it = sparse_.find(id);
    if (it != sparse_.end() && it->second.loaded) return &it->second;
  }
  if (!find_) {
    MXIR_ASSIGN_OR_RETURN(Statement f,
                          Statement::Prepare(db_, "SELECT value FROM strings WHERE id = ?1"));
    find_.emplace(std::move(f));
  }
  find_->Reset();
  find_->Bind(1, id);
  MXIR_ASSIGN_OR_RETURN(bool row, find_->Step());
  Entry* e = row ? Slot(id) : nullptr;
  if (!e) {
    find_->Reset();
    return MakeError(ErrorCode::kCorrupt, "string " + std::to_string(id) + " is missing");
  }
  Status s = Fill(e, find_->ColumnTextView(0));
  find_->Reset();
  MXIR_RETURN_IF_ERROR(s);
  return e;
}

Result<const std::string*> StringCache::Field(int64_t id) {
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

}  // namespace mxir::casedb
