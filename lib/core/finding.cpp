#include "core/finding.h"

namespace mxir {

namespace {
constexpr const char* kSeverityNames[] = {"info", "low", "medium", "high", "critical"};
}

const char* SeverityName(Severity s) { return kSeverityNames[static_cast<int>(s)]; }

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kSeverityNames[i]) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

nlohmann::ordered_json FindingToJson(const Finding& f) {
  nlohmann::ordered_json j;
  j["id"] = f.id;
  j["kind"] = f.kind;
  j["severity"] = SeverityName(f.severity);
  if (!f.client_ip.empty()) j["client_ip"] = f.client_ip;
  if (!f.user.empty()) j["user"] = f.user;
  if (!f.users.empty()) j["users"] = f.users;
  j["first_seen"] = f.first_seen.ToString();
  j["last_seen"] = f.last_seen.ToString();
  j["counts"] = f.counts;
  j["evidence"] = f.evidence;
  j["explanation"] = f.explanation;
  j["next_steps"] = f.next_steps;
  j["playbook"] = f.playbook;
  return j;
}

Result<Finding> FindingFromJson(const nlohmann::ordered_json& j) {
  auto bad = [](const std::string& why) {
    return MakeError(ErrorCode::kInvalidInput, "bad finding: " + why);
  };
  if (!j.is_object()) return bad("not an object");
  Finding f;
  try {
    f.id = j.value("id", "");
    f.kind = j.value("kind", "");
    if (f.kind.empty()) return bad("missing 'kind'");
    auto sev = ParseSeverity(j.value("severity", "info"));
    if (!sev) return bad("unknown severity");
    f.severity = *sev;
    f.client_ip = j.value("client_ip", "");
    f.user = j.value("user", "");
    if (j.contains("users")) f.users = j["users"].get<std::vector<std::string>>();
    if (j.contains("first_seen")) {
      auto t = ParseTimestamp(j["first_seen"].get<std::string>());
      if (!t.ok()) return t.error();
      f.first_seen = *t;
    }
    if (j.contains("last_seen")) {
      auto t = ParseTimestamp(j["last_seen"].get<std::string>());
      if (!t.ok()) return t.error();
      f.last_seen = *t;
    }
    if (j.contains("counts")) f.counts = j["counts"];
    if (j.contains("evidence")) f.evidence = j["evidence"];
    f.explanation = j.value("explanation", "");
    if (j.contains("next_steps")) f.next_steps = j["next_steps"].get<std::vector<std::string>>();
    f.playbook = j.value("playbook", "");
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return f;
}

}  // namespace mxir
