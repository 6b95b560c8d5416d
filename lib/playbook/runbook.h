// Runbook: one mxir-runbook/1 file (playbooks/*.yaml), loaded and schema-checked.
//
// LoadRunbook() parses the YAML text with yaml-cpp and checks it completely: every key of every
// step is known for its type, required keys are there, ids are unique, references (gates a step
// requires, variables in ${...}, identifiers in expressions) resolve, `run` is an argument list
// whose first element is `mxir`, and every step that changes something is behind a gate. All
// problems are collected, each as "FILE:LINE: message", so `mxir playbook lint` can show them at
// once. The result keeps the exact text and its SHA-256 (stored with every run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mxir::playbook {

inline constexpr const char* kRunbookSchema = "mxir-runbook/1";

enum class StepType { kSay, kRun, kAsk, kCheck, kGate, kIf, kSwitch, kRepeat, kEnd };
const char* StepTypeName(StepType t);

struct Expectation {
  std::string that;  // expression that must hold
  std::string stop;  // outcome to stop with when it does not; empty with `warn`
  bool warn = false;
  int line = 0;
};

struct Verify {
  std::vector<std::string> run;                              // read-only mxir command printing JSON
  std::vector<std::pair<std::string, std::string>> outputs;  // name -> JSON path
  std::string that;  // expression over those outputs (and step.started_at)
};

struct AnswerSpec {
  std::string type = "string";       // string, bool, int, choice
  std::vector<std::string> choices;  // for choice
  bool required = true;
};

struct Step {
  std::string id;
  StepType type = StepType::kSay;
  int line = 0;
  std::string title, explain, when;
  int64_t timeout_s = 0;        // run: 0 = the default (10 min)
  std::string on_failure_stop;  // outcome when the step fails (else the run fails)
  // say / check
  std::string text;
  // run
  std::vector<std::string> run;
  bool mutates = true;
  std::vector<std::pair<std::string, std::string>> outputs;  // name -> JSON path into stdout
  std::vector<Expectation> expect;                           // also on ask/check answers
  std::optional<Verify> verify;
  std::vector<std::string> requires_gates;
  // ask / check
  std::string question, save;
  AnswerSpec answer;
  // gate
  std::string confirm, danger;
  std::vector<std::string> unlocks;
  // if
  std::string condition;
  std::vector<Step> then_steps, else_steps;
  // switch
  std::string on;
  std::vector<std::pair<std::string, std::vector<Step>>> cases;
  std::vector<Step> default_steps;
  // repeat
  std::vector<Step> body;
  std::string until;
  int64_t every_s = 0, max_s = 0;
  // end
  std::string outcome;
};

struct Input {
  std::string name, type = "string", from, describe;
  bool required = false;
  std::vector<std::string> choices;
};

struct Runbook {
  std::string schema, id, updated, title, summary, severity;
  int version = 0;
  std::vector<std::string> triggers;
  std::vector<std::pair<std::string, std::string>> references;  // name, url
  std::vector<Input> inputs;
  std::vector<std::pair<std::string, nlohmann::json>> vars;
  std::vector<Step> steps;
  std::string path, text, sha256;
};

// Problems found while loading; empty when the runbook is valid.
struct LintResult {
  std::vector<std::string> errors;    // "FILE:LINE: message"
  std::vector<std::string> warnings;  // "FILE:LINE: warning: message"
};

// Parses and checks `text` (named `path` in messages). On any error the Runbook is not usable:
// the errors are in `lint` and the result is an kInvalidInput error summarising them.
Result<Runbook> LoadRunbook(const std::string& path, const std::string& text, LintResult* lint);
Result<Runbook> LoadRunbookFile(const std::string& path, LintResult* lint);

// Finds the step with `id` anywhere in the tree, or nullptr.
const Step* FindStep(const std::vector<Step>& steps, const std::string& id);

// Names mxir tools a `run` step may call (second argument).
bool IsKnownTool(const std::string& name);

}  // namespace mxir::playbook
