// The policy service's audit trail: one record per decision in the case's ActionLog (tool
// "relay", target = the account, action = "policy RCPT|DATA|END-OF-MESSAGE", outcome = the
// answer's verb), details = instance, queue id, client, login, sender, recipient, counts, rule.
// CaseAuditWriter writes from its own thread in batched transactions (every `flush_ms`, or sooner
// when many records wait), so the request path never waits on the case file and never builds
// JSON: a policy record's request and decision are appended as they are to one flat byte buffer
// (RecordPolicy: no allocation per record once the buffer has grown, and nothing allocated in the
// request thread is freed in the writer's), and the writer makes the details from them. Its
// queue is bounded, and a full queue refuses (the request is then not answered: fail closed)
// rather than drop records. What a crash can lose: records still queued
// (at most the last flush interval's decisions); a clean stop (SIGTERM) writes them all.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "relay/guard.h"
#include "relay/policy_protocol.h"

namespace mxir::relay {

struct AuditRecord {
  int64_t ts_us = 0;  // when it happened (0: when written)
  std::string target, action, outcome;
  nlohmann::ordered_json details;
  // A policy decision: target, action, outcome and details are made from these by Materialize().
  struct Policy {
    PolicyRequest request;
    Decision decision;
  };
  std::optional<Policy> policy;
  // Fills target/action/outcome/details from `policy` (no-op without one).
  void Materialize();
  // The same, with the details as JSON text (without building a JSON tree); a record without
  // `policy` gives its details' text.
  void MaterializeText(std::string* details_json);
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // False when the record cannot be taken (queue full, writer failed).
  virtual bool Record(AuditRecord record) = 0;
  // One policy decision; the default copies them into an AuditRecord for Record().
  virtual bool RecordPolicy(const PolicyRequest& request, const Decision& decision) {
    AuditRecord rec;
    rec.policy.emplace(AuditRecord::Policy{request, decision});
    return Record(std::move(rec));
  }
};

class CaseAuditWriter final : public AuditSink {
 public:
  // Opens the case (must exist) in the writer thread; an open failure is returned here.
  static Result<std::unique_ptr<CaseAuditWriter>> Start(const std::string& case_path,
                                                        size_t max_queue = 200000,
                                                        int flush_ms = 50);
  ~CaseAuditWriter() override;
  bool Record(AuditRecord record) override;
  bool RecordPolicy(const PolicyRequest& request, const Decision& decision) override;
  // Writes everything queued, then stops the thread.
  void Stop();
  uint64_t written() const;
  uint64_t failed() const;

 private:
  CaseAuditWriter() = default;
  void Run();
  static constexpr size_t kWakeAt = 4096;  // records queued that wake the writer early
  std::string path_;
  size_t max_queue_ = 0;
  int flush_ms_ = 50;
  mutable std::mutex mu_;
  std::condition_variable cv_, opened_cv_;
  // Records waiting, in order, encoded (see audit.cpp); queued_ counts them, and retry_ the rows
  // of a failed transaction that the next round writes first.
  std::string queue_;
  size_t queued_ = 0, retry_ = 0;
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
