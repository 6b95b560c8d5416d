#include "detect/detect_settings.h"

#include <algorithm>

#include "casedb/action_log.h"
#include "casedb/case_meta.h"
#include "casedb/sqlite.h"

namespace mxir::detect {

namespace {

constexpr const char* kMetaKey = "detect_settings";

std::string OptionName(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

nlohmann::ordered_json Strings(const std::vector<std::string>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

Result<std::vector<std::string>> ReadStrings(const nlohmann::ordered_json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) {
    return MakeError(ErrorCode::kCorrupt,
                     std::string("stored detect settings: '") + key + "' is not a list");
  }
  for (const auto& v : j[key]) {
    if (!v.is_string()) {
      return MakeError(ErrorCode::kCorrupt,
                       std::string("stored detect settings: '") + key + "' holds a non-text");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

void DetectSettings::Overlay(const DetectSettings& given) {
  if (!given.internal.empty()) internal = given.internal;
  if (!given.local_domains.empty()) local_domains = given.local_domains;
  if (!given.submission_ports.empty()) submission_ports = given.submission_ports;
  for (const auto& [k, v] : given.thresholds) thresholds[k] = v;
}

std::string DetectSettings::CommandLine() const {
  std::string out;
  auto add = [&](const std::string& opt, const std::string& value) {
    if (!out.empty()) out += ' ';
    out += "--" + opt + " " + value;
  };
  for (const auto& n : internal) add("internal", n);
  for (const auto& d : local_domains) add("local-domain", d);
  for (const auto& p : submission_ports) add("submission-port", p);
  for (const auto& [k, v] : thresholds) add(k, v);
  return out;
}

nlohmann::ordered_json DetectSettings::ToJson() const {
  nlohmann::ordered_json j;
  j["internal"] = Strings(internal);
  j["local_domains"] = Strings(local_domains);
  j["submission_ports"] = Strings(submission_ports);
  j["thresholds"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : thresholds) j["thresholds"][k] = v;
  return j;
}

Result<DetectSettings> DetectSettings::FromJson(const nlohmann::ordered_json& j) {
  if (!j.is_object())
    return MakeError(ErrorCode::kCorrupt, "stored detect settings: not an object");
  DetectSettings s;
  MXIR_ASSIGN_OR_RETURN(s.internal, ReadStrings(j, "internal"));
  MXIR_ASSIGN_OR_RETURN(s.local_domains, ReadStrings(j, "local_domains"));
  MXIR_ASSIGN_OR_RETURN(s.submission_ports, ReadStrings(j, "submission_ports"));
  if (j.contains("thresholds")) {
    if (!j["thresholds"].is_object()) {
      return MakeError(ErrorCode::kCorrupt,
                       "stored detect settings: 'thresholds' is not an object");
    }
    for (const auto& [k, v] : j["thresholds"].items()) {
      if (!v.is_string()) {
        return MakeError(ErrorCode::kCorrupt, "stored detect settings: threshold " + k);
      }
      s.thresholds[k] = v.get<std::string>();
    }
  }
  return s;
}

Status DetectSettings::ApplyTo(DetectConfig* cfg) const {
  for (const auto& [k, v] : thresholds) {
    MXIR_RETURN_IF_ERROR(cfg->SetThreshold(k, v));
  }
  if (!submission_ports.empty()) MXIR_RETURN_IF_ERROR(cfg->SetSubmissionPorts(submission_ports));
  return cfg->Validate();
}

Result<DetectSettings> SettingsFromIni(const IniFile& ini) {
  DetectConfig check;
  DetectSettings s;
  MXIR_RETURN_IF_ERROR(check.ApplyIni(ini, &s.internal, &s.local_domains));
  const IniFile::Section* sec = ini.Find("detect");
  if (!sec) return s;
  for (const auto& [key, value] : *sec) {
    std::string name = OptionName(key);
    if (name == "internal" || name == "local-domains") continue;
    if (name == "submission-ports") {
      DetectSettings one;
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string item = value.substr(start, comma - start);
        size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        if (b != std::string::npos) s.submission_ports.push_back(item.substr(b, e - b + 1));
        start = comma + 1;
      }
      continue;
    }
    s.thresholds[name] = value;
  }
  return s;
}

Result<DetectSettings> LoadCaseSettings(casedb::CaseDb& c) {
  MXIR_ASSIGN_OR_RETURN(std::string text, casedb::CaseMeta(c).Get(kMetaKey));
  if (text.empty()) return DetectSettings{};
  auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorrupt, "stored detect settings: not JSON");
  return DetectSettings::FromJson(j);
}

Status StoreCaseSettings(casedb::CaseDb& c, const DetectSettings& s) {
  casedb::Transaction tx(c.db());
  MXIR_RETURN_IF_ERROR(tx.Begin());
  MXIR_RETURN_IF_ERROR(casedb::CaseMeta(c).Set(kMetaKey, s.ToJson().dump()));
  nlohmann::ordered_json details;
  details["settings"] = s.ToJson();
  details["options"] = s.CommandLine();
  MXIR_RETURN_IF_ERROR(
      casedb::ActionLog(c).Record("detect", c.path(), "store detect settings", "ok", details));
  return tx.Commit();
}

}  // namespace mxir::detect
