#include "casedb/event_store.h"

#include <xxhash.h>

#include "core/event_json.h"

namespace mxir::casedb {

std::string EventIdentity(const Event& e, std::string_view json) {
  XXH128_hash_t h;
  if (!e.origin.sha256.empty()) {
    std::string id = e.origin.sha256;
    id += '|';
    id += std::to_string(e.origin.line);
    id += '|';
    id += std::to_string(e.origin.packet);
    id += '|';
    id += std::to_string(e.origin.index);
    id += '|';
    id += EventKindName(e.kind);
    h = XXH3_128bits(id.data(), id.size());
  } else {
    h = XXH3_128bits(json.data(), json.size());
  }
  XXH128_canonical_t canon;
  XXH128_canonicalFromHash(&canon, h);
  return std::string(reinterpret_cast<const char*>(canon.digest), sizeof canon.digest);
}

EventWriter::EventWriter(CaseDb& c, size_t batch_size) : c_(c), batch_size_(batch_size) {}

EventWriter::~EventWriter() { (void)Finish(); }

Status EventWriter::Prepare() {
  if (!insert_) {
    MXIR_ASSIGN_OR_RETURN(
        Statement st, Statement::Prepare(c_.db(),
                                         "INSERT OR IGNORE INTO events "
                                         "(key, ts, kind, source, session, client_ip, user, json) "
                                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    insert_.emplace(std::move(st));
  }
  if (!in_tx_) {
    MXIR_RETURN_IF_ERROR(BeginImmediate(c_.db()));
    in_tx_ = true;
  }
  return Status::Ok();
}

Status EventWriter::Add(const Event& e) {
  MXIR_RETURN_IF_ERROR(Prepare());
  json_.clear();
  AppendEventJson(json_, e);
  std::string key = EventIdentity(e, json_);
  Statement& st = *insert_;
  st.Reset();
  st.BindBlob(1, key.data(), key.size()).Bind(2, e.ts.micros()).Bind(3, EventKindName(e.kind));
  st.Bind(4, e.source);
  if (e.session.empty()) {
    st.BindNull(5);
  } else {
    st.Bind(5, e.session);
  }
  if (e.client_ip) {
    st.Bind(6, e.client_ip->ToString());
  } else {
    st.BindNull(6);
  }
  if (e.user.empty()) {
    st.BindNull(7);
  } else {
    st.Bind(7, e.user);
  }
  st.Bind(8, json_);
  MXIR_RETURN_IF_ERROR(st.Run());
  if (c_.db().Changes() > 0) {
    ++inserted_;
  } else {
    ++duplicates_;
  }
  if (++pending_ >= batch_size_) MXIR_RETURN_IF_ERROR(Commit());
  return Status::Ok();
}

Status EventWriter::Commit() {
  if (!in_tx_) return Status::Ok();
  MXIR_RETURN_IF_ERROR(CommitWithRetry(c_.db()));
  in_tx_ = false;
  pending_ = 0;
  return Status::Ok();
}

Status EventWriter::Finish() {
  if (insert_) insert_->Reset();
  return Commit();
}

Status ForEachEvent(CaseDb& c, const EventFilter& filter,
                    const std::function<bool(const Event&)>& fn, int64_t* skipped) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st,
      Statement::Prepare(c.db(),
                         "SELECT json FROM events WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id"));
  st.Bind(1, filter.since ? filter.since->micros() : INT64_MIN)
      .Bind(2, filter.until ? filter.until->micros() : INT64_MAX);
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
