// The policy service's audit trail: one record per decision in the case's ActionLog (tool
// "relay", target = the account, action = "policy RCPT|DATA|END-OF-MESSAGE", outcome = the
// answer's verb), details = instance, queue id, client, login, sender, recipient, counts, rule.
// CaseAuditWriter writes from its own thread in batched transactions, so the request path never
// waits on the case file; its queue is bounded, and a full queue refuses (the request is then not
// answered: fail closed) rather than drop records.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mxir::relay {

struct AuditRecord {
  std::string target, action, outcome;
  nlohmann::ordered_json details;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // False when the record cannot be taken (queue full, writer failed).
  virtual bool Record(AuditRecord record) = 0;
};

class CaseAuditWriter final : public AuditSink {
 public:
  // Opens the case (must exist) in the writer thread; an open failure is returned here.
  static Result<std::unique_ptr<CaseAuditWriter>> Start(const std::string& case_path,
                                                        size_t max_queue = 200000);
  ~CaseAuditWriter() override;
  bool Record(AuditRecord record) override;
  // Writes everything queued, then stops the thread.
  void Stop();
  uint64_t written() const;
  uint64_t failed() const;

 private:
  CaseAuditWriter() = default;
  void Run();
  std::string path_;
  size_t max_queue_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_, opened_cv_;
  std::deque<AuditRecord> queue_;
  bool stop_ = false, opened_ = false, broken_ = false;
  std::string open_error_;
  uint64_t written_ = 0, failed_ = 0;
  std::thread thread_;
};

// Accounts with an `account_compromise` finding in the case (user and users, lower case).
Result<std::set<std::string>> InvestigatedFromCase(const std::string& case_path);

// Text made safe for JSON and logs: valid UTF-8 kept, other bytes and controls become '?'.
std::string CleanText(const std::string& s, size_t max = 512);

}  // namespace mxir::relay
