// libFuzzer target for the runbook format: the input is loaded as a runbook (YAML parse, every
// schema check, reference resolution); a runbook that loads is exported to CACAO and must pass
// the export's own checks. The same bytes are also tried as an expression (parse and evaluate),
// a ${...} template and a JSON path. Nothing may crash, hang or throw out of lib/playbook.
#include <cstddef>
#include <cstdint>
#include <string>

#include "playbook/cacao.h"
#include "playbook/expr.h"
#include "playbook/render.h"
#include "playbook/runbook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  mxir::playbook::LintResult lint;
  auto rb = mxir::playbook::LoadRunbook("fuzz.yaml", text, &lint);
  if (rb.ok()) {
    if (!lint.errors.empty()) __builtin_trap();
    auto pb = mxir::playbook::ExportCacao(*rb);
    // Structural problems are exporter bugs. (Text that happens to look like a CACAO variable,
    // "__x__", is reported as undeclared and the export refused: not a bug.)
    for (const auto& p : mxir::playbook::CheckCacao(pb))
      if (p.find("variable") == std::string::npos) __builtin_trap();
  } else if (lint.errors.empty()) {
    __builtin_trap();  // every refusal names its line
  }
  if (size < 512) {
    auto lookup = [](const std::string& n) -> std::optional<nlohmann::json> {
      if (n == "n") return nlohmann::json(5);
      if (n == "list") return nlohmann::json::array({"a", "listed"});
      if (n == "s") return nlohmann::json("text");
      return std::nullopt;
    };
    (void)mxir::playbook::Evaluate(text, lookup);
    std::vector<std::string> names;
    (void)mxir::playbook::TemplateNames(text, &names);
    (void)mxir::playbook::RenderArgv({"mxir", text}, lookup);
    (void)mxir::playbook::CheckJsonPath(text);
    (void)mxir::playbook::JsonPath(nlohmann::json::parse(R"({"a":[1,{"b":2}]})"), text);
  }
  return 0;
}
