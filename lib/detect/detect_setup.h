// How `mxir detect` settles the settings a run judges with: the ones given now (a config file,
// then options) over the ones stored in the case, so later runs judge the same events the same
// way; and the Locality (inside networks, own mail domains) they describe.
#pragma once

#include <string>

#include "casedb/case_db.h"
#include "core/status.h"
#include "detect/detect_config.h"
#include "detect/detect_settings.h"
#include "detect/locality.h"

namespace mxir::detect {

// The [detect] section of the config file at `path` (errors name the file).
Result<DetectSettings> SettingsFromConfigFile(const std::string& path);

// The settings this run uses: `given` over the ones stored in the case. When they differ from the
// stored ones, they are stored for later runs. `note` (may be null) gets a line for the user
// saying which happened (stored, or reused from the case), or is left empty.
Result<DetectSettings> SettleCaseSettings(casedb::CaseDb& c, const DetectSettings& given,
                                          std::string* note);

// The inside networks (the defaults unless some are given) and local domains of `settings`.
Result<Locality> BuildLocality(const DetectSettings& settings);

// What a run judges with: the thresholds, what is inside, and the settings as options (for the
// "why" of a resolved finding).
struct RunSetup {
  DetectConfig cfg;
  Locality locality;
  std::string settings_text;
};

// The RunSetup from `given` over the settings stored in the case `c` (SettleCaseSettings; with no
// case, `given` alone). `note` as for SettleCaseSettings; it is set before a later step fails.
Result<RunSetup> SetUpRun(casedb::CaseDb* c, const DetectSettings& given, std::string* note);

}  // namespace mxir::detect
