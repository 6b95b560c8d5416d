#include "case_summary_text.h"

#include <iostream>
#include <string>

#include "core/display_time.h"
#include "core/record_printer.h"

namespace mxir::tools {

using nlohmann::ordered_json;

void PrintCaseSummary(const ordered_json& j) {
  std::cout << "Case:     " << TerminalSafe(j.value("title", "")) << "\n"
            << "File:     " << j.value("case", "") << "\n"
            << "Created:  " << DisplayTimeText(j.value("created", "")) << " by "
            << j.value("created_by", "") << "\n"
            << "Events:   " << j.value("events", 0) << "\n"
            << "Findings: " << j["findings"].value("total", 0);
  if (!j["findings"]["by_severity"].empty()) {
    std::cout << " (";
    bool first = true;
    for (const auto& [k, v] : j["findings"]["by_severity"].items()) {
      std::cout << (first ? "" : ", ") << v.get<int>() << " " << k;
      first = false;
    }
    std::cout << ")";
  }
  std::cout << "\n";
  int active = 0;
  if (j["findings"].contains("list")) {
    for (const auto& f : j["findings"]["list"]) {
      if (f.value("status", "") != "active") continue;
      std::cout << (active++ ? "" : "") << "  " << f.value("severity", "") << " "
                << f.value("kind", "")
                << (f.value("host", "").empty() ? "" : " " + f.value("host", ""))
                << (f.value("account", "").empty() ? "" : " " + f.value("account", "")) << "\n";
    }
  }
  if (j["findings"].value("total", 0) > active) {
    std::cout << "  (" << j["findings"].value("total", 0) - active
              << " resolved or dismissed: mxir case findings --case " << j.value("case", "")
              << ")\n";
  }
  std::cout << "Actions:  " << j.value("actions", 0) << " in the audit trail\n";
  std::cout << "\nAssets:\n";
  if (j["assets"].empty()) std::cout << "  (none yet: add them with mxir case add-asset)\n";
  RecordPrinter printer(
      std::cout, OutputFormat::kTable,
      {{"kind", "  KIND"}, {"value", "VALUE"}, {"note", "NOTE"}, {"added", "ADDED"}});
  printer.set_empty_text("");  // "(none yet: ...)" above says it
  for (auto a : j["assets"]) {
    a["kind"] = "  " + a["kind"].get<std::string>();
    printer.Add(a);
  }
  if (!j["assets"].empty()) printer.Finish();
  std::cout << "\nSources (inputs read; the SHA-256 is of the bytes read):\n";
  if (j["sources"].empty()) std::cout << "  (none yet: read logs with mxir ingest --case)\n";
  // One source per block (a path can be long; a table of eight columns does not fit 80 columns).
  auto text = [](const nlohmann::ordered_json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : std::string();
  };
  for (const auto& src : j["sources"]) {
    std::cout << "  " << text(src["path"]) << "\n      " << text(src["tool"]) << ": "
              << text(src["records"]) << " records, " << text(src["stored"]) << " new events";
    if (src["first_seen"].is_string()) {
      std::cout << ", " << DisplayTimeText(text(src["first_seen"])) << " to "
                << DisplayTimeText(text(src["last_seen"]));
    }
    std::cout << "\n      read " << DisplayTimeText(text(src["read_at"]));
    const std::string sha = text(src["sha256"]);
    std::cout << (sha.empty() ? ", not hashed (an interrupted read)" : "\n      SHA-256 " + sha)
              << "\n";
  }
}

}  // namespace mxir::tools
