#include "playbook/runbook.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/file_util.h"
#include "core/timestamp.h"
#include "playbook/expr.h"
#include "playbook/render.h"

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

using nlohmann::json;

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

class Loader {
 public:
  Loader(const std::string& path, LintResult* lint) : path_(path), lint_(lint) {}

  void Error(const YAML::Node& n, const std::string& msg) { Error(Line(n), msg); }
  void Error(int line, const std::string& msg) {
    lint_->errors.push_back(path_ + ":" + std::to_string(line) + ": " + msg);
  }
  void Warn(int line, const std::string& msg) {
    lint_->warnings.push_back(path_ + ":" + std::to_string(line) + ": warning: " + msg);
  }
  static int Line(const YAML::Node& n) { return n.Mark().line + 1; }

  bool Text(const YAML::Node& map, const char* key, std::string* out, bool required) {
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

  bool Bool(const YAML::Node& map, const char* key, bool* out) {
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

  std::vector<std::string> TextList(const YAML::Node& n, const char* what) {
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

  int64_t Duration(const YAML::Node& map, const char* key) {
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

  std::string Expr(const YAML::Node& map, const char* key, bool required) {
    std::string s;
    if (!Text(map, key, &s, required)) return s;
    Status st = ParseExpression(s);
    if (!st.ok()) Error(map[key], st.error().message);
    exprs_.push_back({s, Line(map[key]), {}});
    return s;
  }

  std::vector<std::pair<std::string, std::string>> Outputs(const YAML::Node& n) {
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

  std::vector<std::string> Argv(const YAML::Node& n, const char* what) {
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

  void TextRefs(const YAML::Node& map, const std::string& text, const char* key) {
    std::vector<std::string> names;
    Status st = TemplateNames(text, &names);
    if (!st.ok()) Error(map[key] ? map[key] : map, st.error().message);
    for (auto& nm : names) refs_.push_back({nm, Line(map[key] ? map[key] : map), ""});
  }

  std::vector<Step> Steps(const YAML::Node& parent, const char* key) {
    std::vector<Step> out;
    YAML::Node n = parent[key];
    if (!n || !n.IsSequence() || n.size() == 0) {
      Error(n ? n : parent, std::string("'") + key + "' must be a non-empty list of steps");
      return out;
    }
    for (const auto& s : n) out.push_back(ParseStep(s));
    return out;
  }

  std::vector<Step> CaseSteps(const YAML::Node& n) {
    std::vector<Step> out;
    if (!n.IsSequence() || n.size() == 0) {
      Error(n, "each case must be a non-empty list of steps");
      return out;
    }
    for (const auto& s : n) out.push_back(ParseStep(s));
    return out;
  }

  Step ParseStep(const YAML::Node& n) {
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
      Error(n["type"], "unknown step type '" + type +
                           "' (say, run, ask, check, gate, if, switch, repeat, end)");
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
        for (const auto& g : st.requires_gates)
          requires_.push_back({g, Line(n["requires"]), st.id});
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

  void ParseExpect(const YAML::Node& n, Step& st, std::set<std::string> local) {
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

  void CheckReferences(const Runbook& rb) {
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
  Loader L(path, lint);
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
  static const std::set<std::string> top = {"schema",     "id",      "version",  "updated",
                                            "title",      "summary", "triggers", "severity",
                                            "references", "inputs",  "vars",     "steps"};
  try {
    for (const auto& kv : root)
      if (!top.count(kv.first.Scalar()))
        L.Error(kv.first, "unknown top-level key '" + kv.first.Scalar() + "'");
    if (L.Text(root, "schema", &rb.schema, true) && rb.schema != kRunbookSchema)
      L.Error(root["schema"], "schema '" + rb.schema + "' is not supported (this mxir reads " +
                                  kRunbookSchema + ")");
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
