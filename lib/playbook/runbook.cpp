#include "playbook/runbook.h"

#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/file_util.h"
#include "core/timestamp.h"
#include "playbook/runbook_loader.h"

namespace mxir::playbook {

const char* StepTypeName(StepType t) {
  switch (t) {
    case StepType::kSay:
      return "say";
    case StepType::kRun:
      return "run";
    case StepType::kAsk:
      return "ask";
    case StepType::kCheck:
      return "check";
    case StepType::kGate:
      return "gate";
    case StepType::kIf:
      return "if";
    case StepType::kSwitch:
      return "switch";
    case StepType::kRepeat:
      return "repeat";
    case StepType::kEnd:
      return "end";
  }
  return "?";
}

bool IsKnownTool(const std::string& name) {
  static const std::set<std::string> tools = {"case",  "capture", "ingest", "collect", "detect",
                                              "dnsbl", "report",  "reset",  "relay"};
  return tools.count(name) > 0;
}

namespace {

using internal::RunbookLoader;
using internal::ValidFrom;
using internal::ValidId;
using nlohmann::json;

// The top-level keys and the runbook's own description: schema, id, version, updated, title,
// summary, severity, triggers.
void ReadHeader(RunbookLoader& L, const YAML::Node& root, const std::string& path, Runbook& rb) {
  static const std::set<std::string> top = {"schema",     "id",      "version",  "updated",
                                            "title",      "summary", "triggers", "severity",
                                            "references", "inputs",  "vars",     "steps"};
  for (const auto& kv : root)
    if (!top.count(kv.first.Scalar()))
      L.Error(kv.first, "unknown top-level key '" + kv.first.Scalar() + "'");
  if (L.Text(root, "schema", &rb.schema, true) && rb.schema != kRunbookSchema)
    L.Error(root["schema"],
            "schema '" + rb.schema + "' is not supported (this mxir reads " + kRunbookSchema + ")");
  if (L.Text(root, "id", &rb.id, true) && !ValidId(rb.id))
    L.Error(root["id"], "id '" + rb.id + "' must be lower-case letters, digits and '-'");
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  if (base.size() > 5 && base.substr(base.size() - 5) == ".yaml" &&
      base.substr(0, base.size() - 5) != rb.id && !rb.id.empty())
    L.Warn(1, "the file name does not match the id '" + rb.id + "'");
  if (YAML::Node v = root["version"]) {
    try {
      rb.version = v.as<int>();
      if (rb.version < 1) L.Error(v, "'version' must be 1 or more");
    } catch (const YAML::Exception&) {
      L.Error(v, "'version' must be a whole number (bump it on every change)");
    }
  } else {
    L.Error(root, "'version' is required");
  }
  if (L.Text(root, "updated", &rb.updated, true)) {
    auto t = ParseTimestamp(rb.updated);
    if (rb.updated.size() != 10 || !t.ok())
      L.Error(root["updated"], "'updated' must be a date like 2026-12-06");
  }
  L.Text(root, "title", &rb.title, true);
  L.Text(root, "summary", &rb.summary, true);
  if (L.Text(root, "severity", &rb.severity, false) && rb.severity != "low" &&
      rb.severity != "medium" && rb.severity != "high")
    L.Error(root["severity"], "'severity' must be low, medium or high");
  if (root["triggers"]) rb.triggers = L.TextList(root["triggers"], "triggers");
}

// references: a list of {name, url}, each url https://.
void ReadReferences(RunbookLoader& L, const YAML::Node& root, Runbook& rb) {
  if (YAML::Node refs = root["references"]) {
    if (!refs.IsSequence())
      L.Error(refs, "'references' must be a list of {name, url}");
    else
      for (const auto& r : refs) {
        std::string name, url;
        if (!r.IsMap()) {
          L.Error(r, "a reference must be {name: ..., url: ...}");
          continue;
        }
        L.Text(r, "name", &name, true);
        if (L.Text(r, "url", &url, true) && url.rfind("https://", 0) != 0)
          L.Error(r["url"], "reference url must start with https://");
        rb.references.emplace_back(name, url);
      }
  }
}

// inputs: name -> {type, from, required, describe, choices}.
void ReadInputs(RunbookLoader& L, const YAML::Node& root, Runbook& rb) {
  if (YAML::Node in = root["inputs"]) {
    if (!in.IsMap()) {
      L.Error(in, "'inputs' must map names to {type, from, required, describe}");
    } else {
      for (const auto& kv : in) {
        Input i;
        i.name = kv.first.Scalar();
        const YAML::Node& d = kv.second;
        if (!d.IsMap()) {
          L.Error(d, "input '" + i.name + "' must be {type, from, required, describe}");
          continue;
        }
        for (const auto& k : d)
          if (k.first.Scalar() != "type" && k.first.Scalar() != "from" &&
              k.first.Scalar() != "required" && k.first.Scalar() != "describe" &&
              k.first.Scalar() != "choices")
            L.Error(k.first, "unknown key '" + k.first.Scalar() + "' in input '" + i.name +
                                 "' (allowed: type, from, required, describe, choices)");
        L.Text(d, "type", &i.type, false);
        static const std::set<std::string> types = {"string", "int",  "bool", "email",
                                                    "domain", "ipv4", "ipv6", "ip"};
        if (!types.count(i.type))
          L.Error(d["type"], "input type '" + i.type +
                                 "' is not string, int, bool, email, domain, ip, ipv4 or ipv6");
        if (L.Text(d, "from", &i.from, false) && !ValidFrom(i.from))
          L.Error(d["from"], "'from: " + i.from +
                                 "' is not a case field (finding.FIELD, case.domain, case.ip, "
                                 "case.account, case.network, case.title, case.path)");
        L.Bool(d, "required", &i.required);
        L.Text(d, "describe", &i.describe, true);
        if (d["choices"]) i.choices = L.TextList(d["choices"], "choices");
        rb.inputs.push_back(i);
      }
    }
  }
}

// vars: name -> a constant (a number when it reads as one, else a text).
void ReadVars(RunbookLoader& L, const YAML::Node& root, Runbook& rb) {
  if (YAML::Node vars = root["vars"]) {
    if (!vars.IsMap()) {
      L.Error(vars, "'vars' must map names to constant values");
    } else {
      for (const auto& kv : vars) {
        if (!kv.second.IsScalar()) {
          L.Error(kv.second, "var '" + kv.first.Scalar() + "' must be a single value");
          continue;
        }
        const std::string& s = kv.second.Scalar();
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        json v = (!s.empty() && end && *end == '\0') ? json(d) : json(s);
        rb.vars.emplace_back(kv.first.Scalar(), v);
      }
    }
  }
}

}  // namespace

const Step* FindStep(const std::vector<Step>& steps, const std::string& id) {
  for (const auto& s : steps) {
    if (s.id == id) return &s;
    for (const auto* list : {&s.then_steps, &s.else_steps, &s.default_steps, &s.body})
      if (const Step* f = FindStep(*list, id)) return f;
    for (const auto& c : s.cases)
      if (const Step* f = FindStep(c.second, id)) return f;
  }
  return nullptr;
}

Result<Runbook> LoadRunbook(const std::string& path, const std::string& text, LintResult* lint) {
  LintResult local;
  if (!lint) lint = &local;
  Runbook rb;
  rb.path = path;
  rb.text = text;
  rb.sha256 = Sha256Hex(text);
  RunbookLoader L(path, lint);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    L.Error(e.mark.line + 1, "not valid YAML: " + e.msg);
    return MakeError(ErrorCode::kInvalidInput, lint->errors.front());
  }
  if (!root.IsMap()) {
    L.Error(1, "a runbook is a YAML map starting with 'schema: mxir-runbook/1'");
    return MakeError(ErrorCode::kInvalidInput, lint->errors.front());
  }
  try {
    ReadHeader(L, root, path, rb);
    ReadReferences(L, root, rb);
    ReadInputs(L, root, rb);
    ReadVars(L, root, rb);
    if (!root["steps"])
      L.Error(root, "'steps' is required");
    else
      rb.steps = L.Steps(root, "steps");
    L.CheckReferences(rb);
  } catch (const YAML::Exception& e) {
    L.Error(e.mark.line + 1, std::string("malformed runbook: ") + e.msg);
  }
  if (!lint->errors.empty()) {
    std::string msg = lint->errors.front();
    if (lint->errors.size() > 1)
      msg += " (and " + std::to_string(lint->errors.size() - 1) + " more problems)";
    return MakeError(ErrorCode::kInvalidInput, msg);
  }
  return rb;
}

Result<Runbook> LoadRunbookFile(const std::string& path, LintResult* lint) {
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return LoadRunbook(path, text, lint);
}

}  // namespace mxir::playbook
