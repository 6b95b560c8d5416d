// RunbookLoader (runbook_loader.h): a runbook's steps read from YAML, each problem reported with
// its line, and the cross-references checked at the end.
#include "playbook/runbook_loader.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/timestamp.h"
#include "playbook/expr.h"
#include "playbook/render.h"

namespace mxir::playbook::internal {

namespace {

std::optional<StepType> ParseStepType(const std::string& s) {
  static const std::map<std::string, StepType> m = {
      {"say", StepType::kSay},       {"run", StepType::kRun},       {"ask", StepType::kAsk},
      {"check", StepType::kCheck},   {"gate", StepType::kGate},     {"if", StepType::kIf},
      {"switch", StepType::kSwitch}, {"repeat", StepType::kRepeat}, {"end", StepType::kEnd}};
  auto it = m.find(s);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

const std::set<std::string>& AllowedKeys(StepType t) {
  static const std::set<std::string> common = {"id",      "type", "title",
                                               "explain", "when", "on_failure"};
  static std::map<StepType, std::set<std::string>> m;
  if (m.empty()) {
    auto with = [&](std::initializer_list<const char*> extra) {
      std::set<std::string> s = common;
      for (auto e : extra) s.insert(e);
      return s;
    };
    m[StepType::kSay] = with({"text"});
    m[StepType::kRun] =
        with({"run", "mutates", "outputs", "expect", "verify", "requires", "timeout"});
    m[StepType::kAsk] = with({"question", "answer", "save", "expect"});
    m[StepType::kCheck] = with({"text", "question", "answer", "save", "expect"});
    m[StepType::kGate] = with({"confirm", "danger", "unlocks", "text"});
    m[StepType::kIf] = with({"condition", "then", "else"});
    m[StepType::kSwitch] = with({"on", "cases", "default"});
    m[StepType::kRepeat] = with({"do", "until", "every", "max"});
    m[StepType::kEnd] = with({"outcome", "text"});
  }
  return m[t];
}

}  // namespace

bool ValidId(const std::string& s) {
  if (s.empty() || !(std::islower(static_cast<unsigned char>(s[0])) ||
                     std::isdigit(static_cast<unsigned char>(s[0]))))
    return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return s.back() != '-';
}

bool ValidFrom(const std::string& f) {
  static const std::set<std::string> case_fields = {
      "case.path",    "case.title",   "case.domain", "case.ip",      "case.account",
      "case.network", "case.domains", "case.ips",    "case.accounts"};
  if (case_fields.count(f)) return true;
  return f.rfind("finding.", 0) == 0 && f.size() > 8;
}

void RunbookLoader::Error(int line, const std::string& msg) {
  lint_->errors.push_back(path_ + ":" + std::to_string(line) + ": " + msg);
}

void RunbookLoader::Warn(int line, const std::string& msg) {
  lint_->warnings.push_back(path_ + ":" + std::to_string(line) + ": warning: " + msg);
}

bool RunbookLoader::Text(const YAML::Node& map, const char* key, std::string* out, bool required) {
  YAML::Node n = map[key];
  if (!n) {
    if (required) Error(map, std::string("'") + key + "' is required");
    return false;
  }
  if (!n.IsScalar()) {
    Error(n, std::string("'") + key + "' must be a text");
    return false;
  }
  *out = n.Scalar();
  if (required && out->empty()) Error(n, std::string("'") + key + "' must not be empty");
  return true;
}

bool RunbookLoader::Bool(const YAML::Node& map, const char* key, bool* out) {
  YAML::Node n = map[key];
  if (!n) return false;
  try {
    *out = n.as<bool>();
    return true;
  } catch (const YAML::Exception&) {
    Error(n, std::string("'") + key + "' must be true or false");
    return false;
  }
}

std::vector<std::string> RunbookLoader::TextList(const YAML::Node& n, const char* what) {
  std::vector<std::string> out;
  if (!n.IsSequence()) {
    Error(n, std::string("'") + what + "' must be a list");
    return out;
  }
  for (const auto& e : n) {
    if (!e.IsScalar())
      Error(e, std::string("every element of '") + what + "' must be a text");
    else
      out.push_back(e.Scalar());
  }
  return out;
}

int64_t RunbookLoader::Duration(const YAML::Node& map, const char* key) {
  YAML::Node n = map[key];
  if (!n) return 0;
  if (!n.IsScalar()) {
    Error(n, std::string("'") + key + "' must be a duration like 30s, 10m, 1d");
    return 0;
  }
  auto d = ParseDuration(n.Scalar());
  if (!d.ok() || *d <= 0) {
    Error(n, std::string("'") + key + "': '" + n.Scalar() +
                 "' is not a duration (use 30s, 10m, 6h, 1d, 2w)");
    return 0;
  }
  return *d / kMicrosPerSecond;
}

std::string RunbookLoader::Expr(const YAML::Node& map, const char* key, bool required) {
  std::string s;
  if (!Text(map, key, &s, required)) return s;
  Status st = ParseExpression(s);
  if (!st.ok()) Error(map[key], st.error().message);
  exprs_.push_back({s, Line(map[key]), {}});
  return s;
}

std::vector<std::pair<std::string, std::string>> RunbookLoader::Outputs(const YAML::Node& n) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsMap()) {
    Error(n, "'outputs' must map names to JSON paths, e.g. {count: $.length}");
    return out;
  }
  for (const auto& kv : n) {
    std::string name = kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      Error(kv.second, "output '" + name + "' must be a JSON path like $.count");
      continue;
    }
    if (!ValidId(name) && name.find('_') == std::string::npos) {
      Error(kv.first, "output name '" + name + "' must be lower-case letters, digits, - or _");
    }
    Status st = CheckJsonPath(kv.second.Scalar());
    if (!st.ok()) Error(kv.second, st.error().message);
    out.emplace_back(name, kv.second.Scalar());
  }
  return out;
}

std::vector<std::string> RunbookLoader::Argv(const YAML::Node& n, const char* what) {
  std::vector<std::string> argv;
  if (!n.IsSequence()) {
    Error(n, std::string("'") + what +
                 "' must be an argument list like [mxir, detect, --case, \"${case.path}\"], "
                 "never a shell string");
    return argv;
  }
  argv = TextList(n, what);
  if (argv.empty() || argv[0] != "mxir") {
    Error(n, std::string("'") + what +
                 "' must start with 'mxir' (runbooks run only mxir's "
                 "own tools)");
  } else if (argv.size() < 2 || !IsKnownTool(argv[1])) {
    Error(n, std::string("'") + what + "': '" + (argv.size() < 2 ? "" : argv[1]) +
                 "' is not an mxir tool (case, capture, ingest, collect, detect, dnsbl, "
                 "report, reset, relay)");
  }
  for (const auto& a : argv) {
    std::vector<std::string> names;
    Status st = TemplateNames(a, &names);
    if (!st.ok()) Error(n, st.error().message);
    for (auto& nm : names) refs_.push_back({nm, Line(n), ""});
  }
  return argv;
}

void RunbookLoader::TextRefs(const YAML::Node& map, const std::string& text, const char* key) {
  std::vector<std::string> names;
  Status st = TemplateNames(text, &names);
  if (!st.ok()) Error(map[key] ? map[key] : map, st.error().message);
  for (auto& nm : names) refs_.push_back({nm, Line(map[key] ? map[key] : map), ""});
}

std::vector<Step> RunbookLoader::Steps(const YAML::Node& parent, const char* key) {
  std::vector<Step> out;
  YAML::Node n = parent[key];
  if (!n || !n.IsSequence() || n.size() == 0) {
    Error(n ? n : parent, std::string("'") + key + "' must be a non-empty list of steps");
    return out;
  }
  for (const auto& s : n) out.push_back(ParseStep(s));
  return out;
}

std::vector<Step> RunbookLoader::CaseSteps(const YAML::Node& n) {
  std::vector<Step> out;
  if (!n.IsSequence() || n.size() == 0) {
    Error(n, "each case must be a non-empty list of steps");
    return out;
  }
  for (const auto& s : n) out.push_back(ParseStep(s));
  return out;
}

Step RunbookLoader::ParseStep(const YAML::Node& n) {
  Step st;
  st.line = Line(n);
  if (!n.IsMap()) {
    Error(n, "a step must be a map with at least 'id' and 'type'");
    return st;
  }
  if (Text(n, "id", &st.id, true)) {
    if (!ValidId(st.id))
      Error(n["id"], "step id '" + st.id + "' must be lower-case letters, digits and '-'");
    else if (!ids_.insert({st.id, st.line}).second)
      Error(n["id"], "step id '" + st.id + "' is used twice (first on line " +
                         std::to_string(ids_[st.id]) + ")");
  }
  std::string type;
  if (!Text(n, "type", &type, true)) return st;
  auto t = ParseStepType(type);
  if (!t) {
    Error(n["type"],
          "unknown step type '" + type + "' (say, run, ask, check, gate, if, switch, repeat, end)");
    return st;
  }
  st.type = *t;
  order_.push_back(st.id);
  const auto& allowed = AllowedKeys(st.type);
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      Error(kv.first, "unknown key '" + k + "' for a " + type + " step (allowed: " + list + ")");
    }
  }
  Text(n, "title", &st.title, false);
  if (Text(n, "explain", &st.explain, false)) TextRefs(n, st.explain, "explain");
  if (n["when"]) st.when = Expr(n, "when", true);
  if (YAML::Node f = n["on_failure"]) {
    if (!f.IsMap() || !f["stop"] || !f["stop"].IsScalar() || f.size() != 1)
      Error(f, "'on_failure' must be {stop: OUTCOME}");
    else
      st.on_failure_stop = f["stop"].Scalar();
  }
  switch (st.type) {
    case StepType::kSay:
      if (Text(n, "text", &st.text, true)) TextRefs(n, st.text, "text");
      break;
    case StepType::kRun:
      if (!n["run"])
        Error(n, "'run' is required: the mxir command as an argument list");
      else
        st.run = Argv(n["run"], "run");
      Bool(n, "mutates", &st.mutates);
      if (n["outputs"]) st.outputs = Outputs(n["outputs"]);
      for (const auto& o : st.outputs) {
        outputs_.insert(o.first);
        outputs_.insert("steps." + st.id + "." + o.first);
      }
      if (n["requires"]) st.requires_gates = TextList(n["requires"], "requires");
      for (const auto& g : st.requires_gates) requires_.push_back({g, Line(n["requires"]), st.id});
      st.timeout_s = Duration(n, "timeout");
      if (YAML::Node v = n["verify"]) {
        if (!v.IsMap() || !v["run"]) {
          Error(v, "'verify' must be {run: [mxir, ...], outputs: {...}, that: EXPRESSION}");
        } else {
          for (const auto& kv : v)
            if (kv.first.Scalar() != "run" && kv.first.Scalar() != "outputs" &&
                kv.first.Scalar() != "that")
              Error(kv.first, "unknown key '" + kv.first.Scalar() +
                                  "' in verify (allowed: run, outputs, that)");
          Verify ver;
          ver.run = Argv(v["run"], "verify.run");
          if (v["outputs"]) ver.outputs = Outputs(v["outputs"]);
          std::string that;
          if (Text(v, "that", &that, true)) {
            Status ps = ParseExpression(that);
            if (!ps.ok()) Error(v["that"], ps.error().message);
            std::vector<std::string> ids;
            (void)ParseExpression(that, &ids);
            std::set<std::string> local = {"step.started_at", "exit_code"};
            for (const auto& o : ver.outputs) local.insert(o.first);
            for (const auto& id : ids)
              if (!local.count(id)) verify_refs_.push_back({id, Line(v["that"]), ""});
          }
          ver.that = that;
          st.verify = ver;
        }
      }
      if (st.mutates && st.requires_gates.empty())
        Error(n, "step '" + st.id +
                     "' changes something (mutates: true, the default) but no gate comes "
                     "before it: add a gate step and 'requires: [GATE-ID]', or 'mutates: false' "
                     "if it only reads");
      if (st.mutates && !st.verify)
        Warn(st.line, "step '" + st.id +
                          "' changes something but has no 'verify': after an interruption the "
                          "person will be asked whether it completed");
      ParseExpect(n, st, {});
      break;
    case StepType::kAsk:
    case StepType::kCheck:
      if (st.type == StepType::kCheck && Text(n, "text", &st.text, true))
        TextRefs(n, st.text, "text");
      if (Text(n, "question", &st.question, true)) TextRefs(n, st.question, "question");
      if (YAML::Node a = n["answer"]) {
        if (!a.IsMap()) {
          Error(a, "'answer' must be {type: bool|int|string|choice, choices: [...]}");
        } else {
          Text(a, "type", &st.answer.type, false);
          if (st.answer.type != "bool" && st.answer.type != "int" && st.answer.type != "string" &&
              st.answer.type != "choice")
            Error(a, "answer type '" + st.answer.type + "' is not bool, int, string or choice");
          if (a["choices"]) st.answer.choices = TextList(a["choices"], "choices");
          if (st.answer.type == "choice" && st.answer.choices.empty())
            Error(a, "an answer of type choice needs 'choices'");
          Bool(a, "required", &st.answer.required);
        }
      }
      if (Text(n, "save", &st.save, false)) {
        if (st.save.empty()) Error(n["save"], "'save' must name a variable");
        saves_.insert(st.save);
      }
      ParseExpect(n, st, {"answer"});
      break;
    case StepType::kGate:
      if (Text(n, "confirm", &st.confirm, true)) TextRefs(n, st.confirm, "confirm");
      if (Text(n, "text", &st.text, false)) TextRefs(n, st.text, "text");
      Text(n, "danger", &st.danger, false);
      if (!st.danger.empty() && st.danger != "low" && st.danger != "high")
        Error(n["danger"], "'danger' must be low or high");
      if (n["unlocks"]) st.unlocks = TextList(n["unlocks"], "unlocks");
      for (const auto& u : st.unlocks) unlocks_.push_back({u, Line(n["unlocks"]), st.id});
      gates_.insert(st.id);
      break;
    case StepType::kIf:
      st.condition = Expr(n, "condition", true);
      st.then_steps = Steps(n, "then");
      if (n["else"]) st.else_steps = Steps(n, "else");
      break;
    case StepType::kSwitch:
      st.on = Expr(n, "on", true);
      if (!n["cases"] || !n["cases"].IsMap() || n["cases"].size() == 0) {
        Error(n, "'cases' must map values to lists of steps");
      } else {
        for (const auto& kv : n["cases"])
          st.cases.emplace_back(kv.first.Scalar(), CaseSteps(kv.second));
      }
      if (n["default"]) st.default_steps = Steps(n, "default");
      break;
    case StepType::kRepeat:
      st.body = Steps(n, "do");
      st.until = Expr(n, "until", true);
      st.every_s = Duration(n, "every");
      st.max_s = Duration(n, "max");
      if (!n["every"]) Error(n, "'every' is required (how long to wait between checks)");
      if (!n["max"]) Error(n, "'max' is required (when to give up)");
      if (st.every_s && st.max_s && st.max_s < st.every_s)
        Error(n["max"], "'max' is shorter than 'every'");
      break;
    case StepType::kEnd:
      Text(n, "outcome", &st.outcome, true);
      if (Text(n, "text", &st.text, false)) TextRefs(n, st.text, "text");
      break;
  }
  return st;
}

void RunbookLoader::ParseExpect(const YAML::Node& n, Step& st, std::set<std::string> local) {
  YAML::Node e = n["expect"];
  if (!e) return;
  if (!e.IsSequence()) {
    Error(e, "'expect' must be a list of {that: EXPRESSION, else: {stop: OUTCOME} | warn}");
    return;
  }
  for (const auto& item : e) {
    Expectation x;
    x.line = Line(item);
    if (!item.IsMap()) {
      Error(item, "an expectation must be {that: EXPRESSION, else: ...}");
      continue;
    }
    if (!Text(item, "that", &x.that, true)) continue;
    Status ps = ParseExpression(x.that);
    if (!ps.ok()) Error(item["that"], ps.error().message);
    std::vector<std::string> ids;
    (void)ParseExpression(x.that, &ids);
    for (const auto& o : st.outputs) local.insert(o.first);
    for (const auto& id : ids)
      if (!local.count(id)) expr_refs_.push_back({id, x.line, ""});
    YAML::Node el = item["else"];
    if (!el) {
      Error(item, "'else' is required: {stop: OUTCOME} or warn");
    } else if (el.IsScalar() && el.Scalar() == "warn") {
      x.warn = true;
    } else if (el.IsMap() && el["stop"] && el["stop"].IsScalar()) {
      x.stop = el["stop"].Scalar();
    } else {
      Error(el, "'else' must be {stop: OUTCOME} or warn");
    }
    st.expect.push_back(x);
  }
}

void RunbookLoader::CheckReferences(const Runbook& rb) {
  std::set<std::string> names = saves_;
  names.insert(outputs_.begin(), outputs_.end());
  for (const auto& i : rb.inputs) names.insert(i.name);
  for (const auto& v : rb.vars) names.insert(v.first);
  for (const char* b : {"run.id", "step.id", "step.started_at", "case.path", "case.title"})
    names.insert(b);
  auto check = [&](const Ref& r, const char* where) {
    if (!names.count(r.name))
      Error(r.line, std::string("'") + r.name + "' " + where +
                        " is not an input, var, saved answer or output of this runbook");
  };
  for (const auto& r : refs_) check(r, "in ${...}");
  for (const auto& e : exprs_) {
    std::vector<std::string> ids;
    if (!ParseExpression(e.name, &ids).ok()) continue;
    for (const auto& id : ids) check({id, e.line, ""}, "in an expression");
  }
  for (const auto& r : expr_refs_) check(r, "in an expectation");
  for (const auto& r : verify_refs_) check(r, "in verify");
  auto pos = [&](const std::string& id) {
    return std::find(order_.begin(), order_.end(), id) - order_.begin();
  };
  for (const auto& r : requires_) {
    if (!gates_.count(r.name))
      Error(r.line, "step '" + r.step + "' requires '" + r.name + "', which is not a gate step");
    else if (pos(r.name) > pos(r.step))
      Error(r.line, "gate '" + r.name + "' comes after step '" + r.step + "' that requires it");
  }
  for (const auto& u : unlocks_) {
    const Step* s = FindStep(rb.steps, u.name);
    if (!s || s->type != StepType::kRun)
      Error(u.line, "gate '" + u.step + "' unlocks '" + u.name + "', which is not a run step");
  }
}

}  // namespace mxir::playbook::internal
