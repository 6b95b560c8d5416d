#include "casedb/string_table.h"

namespace mxir::casedb {

Result<int64_t> StringInterner::Lookup(std::string_view value, Cache& cache,
                                       std::optional<Statement>& find,
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

Status StringCache::LoadAll() {
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db_, "SELECT id, value FROM strings"));
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    strings_.emplace(st.ColumnInt(0), SharedString(st.ColumnText(1)));
  }
  return Status::Ok();
}

Result<const SharedString*> StringCache::Get(int64_t id) {
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
