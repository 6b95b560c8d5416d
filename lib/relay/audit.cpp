#include "relay/audit.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "casedb/finding_store.h"
#include "relay/relay_config.h"

namespace mxir::relay {

namespace {

// Appends `s` made safe (see CleanText), at most `max` bytes of it; with `json`, '"' and '\\'
// are escaped so the result can stand inside a JSON string (no control bytes remain).
void AppendClean(std::string& out, std::string_view s, size_t max, bool json) {
  size_t kept = 0;
  for (size_t i = 0; i < s.size() && kept < max;) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      char k = (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
      if (json && (k == '"' || k == '\\')) out += '\\';
      out += k;
      ++kept;
      ++i;
      continue;
    }
    size_t len = (c >= 0xc2 && c <= 0xdf)   ? 2
                 : (c >= 0xe0 && c <= 0xef) ? 3
                 : (c >= 0xf0 && c <= 0xf4) ? 4
                                            : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    }
    if (ok) {
      out.append(s, i, len);
      kept += len;
      i += len;
    } else {
      out += '?';
      ++kept;
      ++i;
    }
  }
}

void JsonField(std::string& out, std::string_view name, std::string_view value, size_t max) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":\"";
  AppendClean(out, value, max, true);
  out += '"';
}

void JsonInt(std::string& out, std::string_view name, int64_t v) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":";
  out += std::to_string(v);
}

// The writer queue's encoding: per record a kind byte, then fixed-width integers and
// length-prefixed strings (native byte order: the buffer never leaves the process).
constexpr char kPolicy = 'P', kOther = 'O';

void PutInt(std::string& q, int64_t v) { q.append(reinterpret_cast<const char*>(&v), sizeof v); }
void PutStr(std::string& q, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  q.append(reinterpret_cast<const char*>(&n), sizeof n);
  q.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view q) : q_(q) {}
  bool done() const { return pos_ >= q_.size(); }
  char Kind() { return q_[pos_++]; }
  int64_t Int() {
    int64_t v;
    std::memcpy(&v, q_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string Str() {
    uint32_t n;
    std::memcpy(&n, q_.data() + pos_, sizeof n);
    pos_ += sizeof n;
    std::string s(q_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  std::string_view q_;
  size_t pos_ = 0;
};

void EncodePolicy(std::string& q, const PolicyRequest& r, const Decision& d) {
  q += kPolicy;
  PutInt(q, d.ts_us);
  PutStr(q, d.action);
  PutStr(q, d.rule);
  PutStr(q, d.account);
  PutInt(q, d.counts.account_messages);
  PutInt(q, d.counts.account_recipients);
  PutInt(q, d.counts.account_domains);
  PutInt(q, d.counts.client_recipients);
  PutInt(q, static_cast<int64_t>(r.attributes.size()));
  for (const auto& [name, value] : r.attributes) {
    PutStr(q, name);
    PutStr(q, value);
  }
}

void EncodeOther(std::string& q, const AuditRecord& rec) {
  q += kOther;
  PutInt(q, rec.ts_us);
  PutStr(q, rec.target);
  PutStr(q, rec.action);
  PutStr(q, rec.outcome);
  PutStr(q, rec.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The next record of `in` as an action row (details made by MaterializeText).
// A record without a time (ts 0) gets `now`.
casedb::ActionLog::Row Decode(Reader& in, const Timestamp& now) {
  casedb::ActionLog::Row a;
  a.tool = "relay";
  AuditRecord rec;
  if (in.Kind() == kPolicy) {
    AuditRecord::Policy p;
    p.decision.ts_us = in.Int();
    p.decision.action = in.Str();
    p.decision.rule = in.Str();
    p.decision.account = in.Str();
    p.decision.counts.account_messages = in.Int();
    p.decision.counts.account_recipients = in.Int();
    p.decision.counts.account_domains = in.Int();
    p.decision.counts.client_recipients = in.Int();
    int64_t n = in.Int();
    p.request.attributes.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      std::string name = in.Str();
      p.request.attributes.emplace_back(std::move(name), in.Str());
    }
    rec.policy.emplace(std::move(p));
    rec.MaterializeText(&a.details_json);
  } else {
    rec.ts_us = in.Int();
    rec.target = in.Str();
    rec.action = in.Str();
    rec.outcome = in.Str();
    a.details_json = in.Str();
  }
  a.ts = rec.ts_us ? Timestamp::FromMicros(rec.ts_us) : now;
  a.target = std::move(rec.target);
  a.action = std::move(rec.action);
  a.outcome = std::move(rec.outcome);
  return a;
}

}  // namespace

std::string CleanText(const std::string& s, size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  AppendClean(out, s, max, false);
  return out;
}

void AuditRecord::MaterializeText(std::string* details_json) {
  if (!policy) {
    *details_json = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  const PolicyRequest& r = policy->request;
  const Decision& d = policy->decision;
  if (ts_us == 0) ts_us = d.ts_us;
  target = d.account.empty() ? CleanText(r.Get("sasl_username"), 256) : d.account;
  action = "policy " + CleanText(r.Get("protocol_state"), 32);
  outcome = d.action.substr(0, d.action.find(' '));
  std::string& j = *details_json;
  j.clear();
  j += '{';
  JsonField(j, "decision", d.action, 512);
  JsonField(j, "rule", d.rule, 64);
  JsonField(j, "instance", r.Get("instance"), 64);
  JsonField(j, "queue_id", r.Get("queue_id"), 64);
  JsonField(j, "protocol_state", r.Get("protocol_state"), 32);
  JsonField(j, "client_address", r.Get("client_address"), 64);
  JsonField(j, "sasl_username", r.Get("sasl_username"), 256);
  JsonField(j, "sender", r.Get("sender"), 320);
  JsonField(j, "recipient", r.Get("recipient"), 320);
  JsonField(j, "recipient_count", r.Get("recipient_count"), 16);
  JsonField(j, "size", r.Get("size"), 24);
  // JsonInt starts its first field after a lone "{", so the counts are built on their own.
  const auto& c = d.counts;
  std::string counts = "{";
  if (c.account_messages >= 0) {
    JsonInt(counts, "account_messages", c.account_messages);
    JsonInt(counts, "account_recipients", c.account_recipients);
    JsonInt(counts, "account_domains", c.account_domains);
  }
  if (c.client_recipients >= 0) JsonInt(counts, "client_recipients", c.client_recipients);
  j += ",\"counts\":";
  j += counts;
  j += "}}";
  policy.reset();
}

void AuditRecord::Materialize() {
  if (!policy) return;
  std::string text;
  MaterializeText(&text);
  details = nlohmann::ordered_json::parse(text);
}

Result<std::unique_ptr<CaseAuditWriter>> CaseAuditWriter::Start(const std::string& case_path,
                                                                size_t max_queue, int flush_ms) {
  std::unique_ptr<CaseAuditWriter> w(new CaseAuditWriter());
  w->path_ = case_path;
  w->max_queue_ = max_queue;
  w->flush_ms_ = std::max(1, flush_ms);
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  std::unique_lock lock(w->mu_);
  w->opened_cv_.wait(lock, [&] { return w->opened_ || w->broken_; });
  if (w->broken_) {
    std::string err = w->open_error_;
    lock.unlock();
    w->Stop();
    return MakeError(ErrorCode::kInvalidInput, err);
  }
  return w;
}

CaseAuditWriter::~CaseAuditWriter() { Stop(); }

void CaseAuditWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool CaseAuditWriter::Record(AuditRecord record) {
  if (record.policy) return RecordPolicy(record.policy->request, record.policy->decision);
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (broken_ || stop_ || queued_ + retry_ >= max_queue_) return false;
    EncodeOther(queue_, record);
    wake = ++queued_ == kWakeAt;
  }
  if (wake) cv_.notify_one();
  return true;
}

bool CaseAuditWriter::RecordPolicy(const PolicyRequest& request, const Decision& decision) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (broken_ || stop_ || queued_ + retry_ >= max_queue_) return false;
    EncodePolicy(queue_, request, decision);
    // The writer wakes by itself every flush_ms; waking it for each record would cost the
    // request path a system call per decision.
    wake = ++queued_ == kWakeAt;
  }
  if (wake) cv_.notify_one();
  return true;
}

uint64_t CaseAuditWriter::written() const {
  std::lock_guard lock(mu_);
  return written_;
}
uint64_t CaseAuditWriter::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

void CaseAuditWriter::Run() {
  auto opened = casedb::CaseDb::Open(path_, false, "relay");
  {
    std::lock_guard lock(mu_);
    if (!opened.ok()) {
      broken_ = true;
      open_error_ = opened.error().message;
    } else {
      opened_ = true;
    }
  }
  opened_cv_.notify_all();
  if (!opened.ok()) return;
  casedb::CaseDb& db = *opened;
  casedb::ActionLog log(db);
  std::string batch;  // swapped with queue_: both keep their capacity
  size_t batch_n = 0;
  std::vector<casedb::ActionLog::Row> actions;  // a failed round's rows stay here, first
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(flush_ms_),
                   [&] { return stop_ || queued_ >= kWakeAt; });
      if (queued_ == 0 && actions.empty() && stop_) return;
      batch.clear();
      batch.swap(queue_);
      batch_n = queued_;
      queued_ = 0;
      retry_ += batch_n;  // counted against the queue's bound until written
    }
    if (actions.empty() && batch_n == 0) continue;
    actions.reserve(actions.size() + batch_n);
    Timestamp now = db.clock().Now();
    for (Reader in(batch); !in.done();) actions.push_back(Decode(in, now));
    bool ok;
    {
      casedb::Transaction tx(db.db());
      ok = tx.Begin().ok() && log.RecordMany(actions).ok() && tx.Commit().ok();
    }
    std::unique_lock lock(mu_);
    if (ok) {
      written_ += actions.size();
      retry_ = 0;
      actions.clear();
    } else {
      // Kept (in order, before what came meanwhile); the next round retries them (busy case
      // file).
      failed_ += actions.size();
      if (stop_) return;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

Result<std::set<std::string>> InvestigatedFromCase(const std::string& case_path) {
  MXIR_ASSIGN_OR_RETURN(auto db, casedb::CaseDb::Open(case_path, false, "relay"));
  casedb::FindingStore store(db);
  MXIR_ASSIGN_OR_RETURN(auto findings, store.List());
  std::set<std::string> out;
  for (const auto& f : findings) {
    if (f.kind != "account_compromise") continue;
    if (!f.user.empty()) out.insert(Lower(f.user));
    for (const auto& u : f.users) out.insert(Lower(u));
  }
  return out;
}

}  // namespace mxir::relay
