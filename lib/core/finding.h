// Finding: a conclusion drawn from Events (spec/events.md, "Finding"), e.g. "this host has a
// stale saved password for this account". Made by lib/detect, stored by lib/casedb, read by
// reports and playbooks. Plain data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/timestamp.h"

namespace mxir {

enum class Severity { kInfo, kLow, kMedium, kHigh, kCritical };
const char* SeverityName(Severity s);
std::optional<Severity> ParseSeverity(std::string_view name);

struct Finding {
  std::string id;
  std::string kind;  // stale_credentials, brute_force, ...
  Severity severity = Severity::kInfo;
  std::string client_ip;
  std::string user;
  std::vector<std::string> users;
  Timestamp first_seen, last_seen;
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  nlohmann::ordered_json evidence = nlohmann::ordered_json::object();
  std::string explanation;
  std::vector<std::string> next_steps;
  std::string playbook;
};

nlohmann::ordered_json FindingToJson(const Finding& f);
Result<Finding> FindingFromJson(const nlohmann::ordered_json& j);

}  // namespace mxir
