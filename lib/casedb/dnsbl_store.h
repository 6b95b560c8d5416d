// DnsblStore: the case's blocklist history (schema step 3).
//
//   dnsbl_checks      every check result with its time (mxir dnsbl check --case, watch)
//   delistings        one row per (target, zone): where the delisting workflow stands
//   delisting_events  the workflow's history: new listing, cause fixed, removal requested,
//                     delisted, relisted, note
//
// The store only reads and writes rows; the workflow's rules live in lib/dnsbl/delisting.h.
// Timestamps are UTC microseconds. Callers group writes in a casedb Transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"

namespace mxir::casedb {

struct DnsblCheckRow {
  int64_t id = 0;
  Timestamp ts;
  std::string target, zone, list, status;
  nlohmann::ordered_json codes = nlohmann::ordered_json::array();
  std::string meaning;
  nlohmann::ordered_json txt = nlohmann::ordered_json::array();
};

struct DelistingRow {
  std::string target, zone, list, state;
  std::optional<Timestamp> first_listed, listed_since, last_listed, delisted_at, fixed_at,
      requested_at;
  std::string fix_note, request_ref, request_how;
  int64_t relist_count = 0;
  Timestamp updated;
};

struct DelistingEventRow {
  int64_t id = 0;
  Timestamp ts;
  std::string target, zone, event, from_state, to_state;
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
};

class DnsblStore {
 public:
  explicit DnsblStore(CaseDb& c) : c_(c) {}

  Status AddCheck(const DnsblCheckRow& row);
  // Checks with since <= ts < until, in time order.
  Result<std::vector<DnsblCheckRow>> ListChecks(std::optional<Timestamp> since = std::nullopt,
                                                std::optional<Timestamp> until = std::nullopt);

  Result<std::optional<DelistingRow>> GetDelisting(const std::string& target,
                                                   const std::string& zone);
  Status PutDelisting(const DelistingRow& row);  // insert or replace
  Result<std::vector<DelistingRow>> ListDelistings();

  Status AddDelistingEvent(const DelistingEventRow& row);
  Result<std::vector<DelistingEventRow>> ListDelistingEvents(
      std::optional<Timestamp> since = std::nullopt, std::optional<Timestamp> until = std::nullopt);

 private:
  CaseDb& c_;
};

}  // namespace mxir::casedb
