// DetectSettings: what a user told `mxir detect` about their site — inside networks
// (--internal), mail domains (--local-domain), submission ports and thresholds. With a case, the
// settings are stored in it (case_meta "detect_settings", JSON) and reused by later runs, so a
// later `mxir detect --case X --explain` judges the same events the same way instead of silently
// falling back to the defaults and changing a stored verdict.
//
// Each kind of setting given again replaces the stored one (thresholds one by one).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "core/ini_file.h"
#include "core/status.h"
#include "detect/detect_config.h"

namespace mxir::detect {

struct DetectSettings {
  std::vector<std::string> internal, local_domains, submission_ports;
  std::map<std::string, std::string> thresholds;  // option name ("brute-min-failures") -> value

  bool empty() const {
    return internal.empty() && local_domains.empty() && submission_ports.empty() &&
           thresholds.empty();
  }
  bool operator==(const DetectSettings& o) const {
    return internal == o.internal && local_domains == o.local_domains &&
           submission_ports == o.submission_ports && thresholds == o.thresholds;
  }
  bool operator!=(const DetectSettings& o) const { return !(*this == o); }

  // Each kind set in `given` replaces this one's; thresholds are replaced by name.
  void Overlay(const DetectSettings& given);
  // The settings as the options that give them: "--internal 10.1.0.0/16 --brute-min-failures 20".
  std::string CommandLine() const;
  nlohmann::ordered_json ToJson() const;
  static Result<DetectSettings> FromJson(const nlohmann::ordered_json& j);
  // Applies thresholds and submission ports to `cfg` (validated; errors name the setting).
  [[nodiscard]] Status ApplyTo(DetectConfig* cfg) const;
};

// The [detect] section of a config file as settings (checked: unknown keys are refused).
Result<DetectSettings> SettingsFromIni(const IniFile& ini);

// The settings stored in the case (empty when none).
Result<DetectSettings> LoadCaseSettings(casedb::CaseDb& c);
// Stores the settings in the case and records the change in the audit trail.
[[nodiscard]] Status StoreCaseSettings(casedb::CaseDb& c, const DetectSettings& s);

}  // namespace mxir::detect
