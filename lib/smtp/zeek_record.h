// ZeekSmtpRecord: one row of Zeek's smtp.log (one mail transaction of one connection).
//
// The columns and their meaning follow Zeek's SMTP::Info record as documented in
// shared/corpus/zeek-smtp/README.md. Optional columns distinguish "unset" (std::nullopt, written
// as `-`) from "empty" (an empty string or container, written as `(empty)`). Sets keep insertion
// order without duplicates; Zeek itself gives sets no order, so compare them as sets.
// Plain value type; ZeekLogWriter turns it into Zeek's TSV format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.h"
#include "core/timestamp.h"

namespace mxir::smtp {

struct ZeekSmtpRecord {
  Timestamp ts;     // when the row was opened (see README "ts")
  std::string uid;  // connection id (FlowInfo::id)
  IpAddress orig_h;
  uint16_t orig_p = 0;
  IpAddress resp_h;
  uint16_t resp_p = 0;
  uint64_t trans_depth = 1;
  std::optional<std::string> helo;
  std::optional<std::string> mailfrom;
  std::optional<std::vector<std::string>> rcptto;  // set[string]
  std::optional<std::string> date;
  std::optional<std::string> from;
  std::optional<std::vector<std::string>> to;  // set[string]
  std::optional<std::vector<std::string>> cc;  // set[string]
  std::optional<std::string> reply_to;
  std::optional<std::string> msg_id;
  std::optional<std::string> in_reply_to;
  std::optional<std::string> subject;
  std::optional<IpAddress> x_originating_ip;
  std::optional<std::string> first_received;
  std::optional<std::string> second_received;
  std::optional<std::string> last_reply;
  std::vector<IpAddress> path;  // vector[addr]: server, client, then Received hops
  std::optional<std::string> user_agent;
  bool tls = false;
  std::optional<std::vector<std::string>> fuids;  // vector[string]; mxir does no file analysis
};

// Adds `value` to a set column unless already present (creating the set if unset).
void AddToSet(std::optional<std::vector<std::string>>& set, std::string value);

}  // namespace mxir::smtp
