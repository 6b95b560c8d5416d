// libFuzzer target: arbitrary bytes as JSON Lines events through the whole detection path
// (ReadEventsJsonl -> DetectEngine -> findings). Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "detect/detect_engine.h"
#include "detect/event_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  mxir::detect::Locality loc;
  for (const auto& n : mxir::detect::Locality::DefaultInternal()) (void)loc.AddInternal(n);
  (void)loc.AddLocalDomain("acme.example");
  mxir::detect::DetectConfig cfg;
  cfg.stale_min_failures = 2;  // small thresholds reach every detector with small inputs
  cfg.brute_min_failures = 2;
  cfg.spray_min_users = 2;
  cfg.bulk_min_messages = 2;
  cfg.flood_min_messages = 2;
  cfg.burst_min_sessions = 2;
  mxir::detect::DetectEngine engine(cfg, loc);
  mxir::detect::JsonlInput opts;
  std::vector<std::string> errors;
  (void)mxir::detect::ReadEventsJsonl(
      in, opts, [&](const mxir::Event& e) { engine.Add(e); }, &engine.counters(), &errors);
  auto result = engine.Finish();
  return result.findings.size() > 1000000 ? 1 : 0;
}
