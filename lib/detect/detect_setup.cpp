#include "detect/detect_setup.h"

#include <utility>

#include "core/ini_file.h"

namespace mxir::detect {

Result<DetectSettings> SettingsFromConfigFile(const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(IniFile ini, IniFile::Load(path, /*require_private=*/false));
  auto from_ini = SettingsFromIni(ini);
  if (!from_ini.ok()) return from_ini.error().WithContext(path);
  return std::move(*from_ini);
}

Result<DetectSettings> SettleCaseSettings(casedb::CaseDb& c, const DetectSettings& given,
                                          std::string* note) {
  MXIR_ASSIGN_OR_RETURN(DetectSettings stored, LoadCaseSettings(c));
  DetectSettings settings = stored;
  settings.Overlay(given);
  std::string text;
  if (settings != stored) {
    MXIR_RETURN_IF_ERROR(StoreCaseSettings(c, settings));
    text = "settings stored in the case for later runs: " + settings.CommandLine();
  } else if (!settings.empty() && given != settings) {
    text = "using the settings stored in the case: " + settings.CommandLine() +
           " (give an option again to change it)";
  }
  if (note) *note = std::move(text);
  return settings;
}

Result<Locality> BuildLocality(const DetectSettings& settings) {
  Locality loc;
  const auto& nets = !settings.internal.empty() ? settings.internal : Locality::DefaultInternal();
  for (const auto& n : nets) MXIR_RETURN_IF_ERROR(loc.AddInternal(n));
  for (const auto& d : settings.local_domains) MXIR_RETURN_IF_ERROR(loc.AddLocalDomain(d));
  return loc;
}

Result<RunSetup> SetUpRun(casedb::CaseDb* c, const DetectSettings& given, std::string* note) {
  DetectSettings settings = given;
  if (c) {
    MXIR_ASSIGN_OR_RETURN(settings, SettleCaseSettings(*c, given, note));
  }
  RunSetup setup;
  MXIR_RETURN_IF_ERROR(settings.ApplyTo(&setup.cfg));
  MXIR_ASSIGN_OR_RETURN(setup.locality, BuildLocality(settings));
  setup.settings_text = settings.CommandLine();
  return setup;
}

}  // namespace mxir::detect
