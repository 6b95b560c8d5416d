// The runbook loader's working state: it reads a runbook's YAML nodes into Steps, collects every
// problem (file:line: message) into a LintResult instead of stopping at the first one, and
// checks at the end that every ${name} and expression names something the runbook defines.
// Internal to lib/playbook: LoadRunbook (runbook.h) is the way in.
#ifndef MXIR_PLAYBOOK_RUNBOOK_LOADER_H_
#define MXIR_PLAYBOOK_RUNBOOK_LOADER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "playbook/runbook.h"

namespace mxir::playbook::internal {

// A step or runbook id: lower-case letters, digits and '-', not starting or ending with '-'.
bool ValidId(const std::string& s);
// An input's `from:` — a case field (case.ip, ...) or finding.FIELD.
bool ValidFrom(const std::string& f);

class RunbookLoader {
 public:
  RunbookLoader(const std::string& path, LintResult* lint) : path_(path), lint_(lint) {}

  // Problems, each as "path:line: message".
  void Error(const YAML::Node& n, const std::string& msg) { Error(Line(n), msg); }
  void Error(int line, const std::string& msg);
  void Warn(int line, const std::string& msg);
  static int Line(const YAML::Node& n) { return n.Mark().line + 1; }

  // Typed reads of map[key]; each reports a wrong type as an error and returns false/empty.
  bool Text(const YAML::Node& map, const char* key, std::string* out, bool required);
  bool Bool(const YAML::Node& map, const char* key, bool* out);
  std::vector<std::string> TextList(const YAML::Node& n, const char* what);
  int64_t Duration(const YAML::Node& map, const char* key);  // seconds; 0 when absent or bad
  std::string Expr(const YAML::Node& map, const char* key, bool required);
  std::vector<std::pair<std::string, std::string>> Outputs(const YAML::Node& n);
  std::vector<std::string> Argv(const YAML::Node& n, const char* what);
  void TextRefs(const YAML::Node& map, const std::string& text, const char* key);

  // Steps, recursively (if/switch/repeat bodies).
  std::vector<Step> Steps(const YAML::Node& parent, const char* key);
  std::vector<Step> CaseSteps(const YAML::Node& n);
  Step ParseStep(const YAML::Node& n);
  void ParseExpect(const YAML::Node& n, Step& st, std::set<std::string> local);

  // After everything is read: names used but never defined, gates in the wrong order.
  void CheckReferences(const Runbook& rb);

 private:
  struct Ref {
    std::string name;
    int line;
    std::string step;
  };
  std::string path_;
  LintResult* lint_;
  std::map<std::string, int> ids_;
  std::vector<std::string> order_;
  std::set<std::string> saves_, outputs_, gates_;
  std::vector<Ref> refs_, expr_refs_, verify_refs_, exprs_, requires_, unlocks_;
};

}  // namespace mxir::playbook::internal

#endif  // MXIR_PLAYBOOK_RUNBOOK_LOADER_H_
