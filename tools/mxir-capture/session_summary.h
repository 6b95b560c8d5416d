// SessionSummary: the IT person's first view of a capture (--format table) — one row per client
// host and account: sessions, AUTH successes and failures, messages, recipients, first and last
// seen. Rows with the most failed AUTH come first (the device hammering the server), then the
// busiest. Sessions that never authenticated count under account "-".
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/event.h"
#include "core/record_printer.h"

namespace mxir::tools {

class SessionSummary {
 public:
  void Add(const Event& e);
  // Prints the rows in `format` (table, json, jsonl or csv).
  void Print(std::ostream& out, OutputFormat format) const;
  size_t rows() const { return rows_.size(); }

 private:
  struct Row {
    int64_t sessions = 0, auth_ok = 0, auth_failed = 0, messages = 0, recipients = 0, tls = 0;
    Timestamp first, last;
    bool seen = false;
  };
  Row& At(const std::string& client, const std::string& user, Timestamp ts);

  std::map<std::pair<std::string, std::string>, Row> rows_;    // (client, account)
  std::unordered_map<std::string, std::string> session_user_;  // session -> account last tried
};

}  // namespace mxir::tools
