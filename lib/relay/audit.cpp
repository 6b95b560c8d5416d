#include "relay/audit.h"

#include <chrono>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "casedb/finding_store.h"
#include "relay/relay_config.h"

namespace mxir::relay {

std::string CleanText(const std::string& s, size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (size_t i = 0; i < s.size() && out.size() < max;) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
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
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

Result<std::unique_ptr<CaseAuditWriter>> CaseAuditWriter::Start(const std::string& case_path,
                                                                size_t max_queue) {
  std::unique_ptr<CaseAuditWriter> w(new CaseAuditWriter());
  w->path_ = case_path;
  w->max_queue_ = max_queue;
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
  {
    std::lock_guard lock(mu_);
    if (broken_ || stop_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(record));
  }
  cv_.notify_one();
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
  for (;;) {
    std::deque<AuditRecord> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      size_t n = std::min<size_t>(queue_.size(), 5000);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty()) continue;
    bool ok = true;
    {
      casedb::Transaction tx(db.db());
      ok = tx.Begin().ok();
      for (auto& r : batch) {
        if (!ok) break;
        ok = log.Record("relay", r.target, r.action, r.outcome, r.details).ok();
      }
      if (ok) ok = tx.Commit().ok();
    }
    std::unique_lock lock(mu_);
    if (ok) {
      written_ += batch.size();
    } else {
      failed_ += batch.size();
      // Put the batch back once; the next round retries it (busy case file).
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
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
