#include "playbook/cacao.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include <openssl/sha.h>

#include "playbook/expr.h"
#include "playbook/render.h"

namespace mxir::playbook {

namespace {

using nlohmann::ordered_json;

// The RFC 4122 URL namespace: Uuid5(name) equals Python's uuid.uuid5(uuid.NAMESPACE_URL, name).
constexpr unsigned char kNamespace[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                          0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

std::string VarKey(const std::string& name) {
  std::string k;
  for (char c : name) k += (c == '.') ? '_' : c;
  return "__" + k + "__";
}

// `${a.b}` -> `__a_b__:value` in text meant for a CACAO reader.
std::string CacaoText(const std::string& text, std::set<std::string>* used) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("${", i);
    size_t close = open == std::string::npos ? open : text.find('}', open);
    if (open == std::string::npos || close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    std::string name = text.substr(open + 2, close - open - 2);
    used->insert(VarKey(name));
    out += VarKey(name) + ":value";
    i = close + 1;
  }
  return out;
}

// An mxir expression in the STIX-comparison style CACAO executors read ("__x__:value = 5").
std::string CacaoCondition(const std::string& expr, std::set<std::string>* used) {
  std::vector<std::string> ids;
  (void)ParseExpression(expr, &ids);
  std::string out = expr;
  // Longest names first so "steps.a.b" is not broken by "a".
  std::sort(ids.begin(), ids.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const auto& id : ids) {
    used->insert(VarKey(id));
    std::string rep = VarKey(id) + ":value";
    std::regex re("(^|[^A-Za-z0-9_.:-])" +
                  std::regex_replace(id, std::regex(R"([.\-])"), R"(\$&)") +
                  "(?=$|[^A-Za-z0-9_.-])");
    out = std::regex_replace(out, re, "$1" + rep);
  }
  // A bare truth value becomes an explicit comparison.
  if (ids.size() == 1 && out == VarKey(ids[0]) + ":value") return out + " = true";
  if (ids.size() == 1 && out == "not " + VarKey(ids[0]) + ":value")
    return VarKey(ids[0]) + ":value = false";
  std::string cmp = std::regex_replace(out, std::regex(R"(==)"), "=");
  // Word operators in the upper case of STIX patterning.
  for (const char* w : {"and", "or", "not", "in"})
    cmp = std::regex_replace(
        cmp, std::regex(std::string(R"((^|[\s(]))") + w + R"((?=[\s(]))"), "$1" + [&] {
          std::string u = w;
          for (char& c : u) c = static_cast<char>(std::toupper(c));
          return u;
        }());
  return cmp;
}

class Exporter {
 public:
  explicit Exporter(const Runbook& rb) : rb_(rb) {}

  ordered_json Run() {
    agent_ = "individual--" + Uuid5("mxir/agent/person-handling-the-incident");
    ext_ = "extension-definition--" + Uuid5("mxir/extension/step-semantics/1");
    identity_ = "identity--" + Uuid5("mxir");
    std::string end_all = Id("end", "(end)");
    std::string first = List(rb_.steps, end_all, true);
    std::string start = Id("start", "(start)");
    wf_[start] = {{"type", "start"}, {"name", "Start: " + rb_.title}, {"on_completion", first}};
    if (referenced_.count(end_all)) wf_[end_all] = {{"type", "end"}, {"name", "End: completed"}};
    for (const auto& [id, step] : ends_)
      if (referenced_.count(id)) wf_[id] = step;

    ordered_json pb;
    pb["type"] = "playbook";
    pb["spec_version"] = "cacao-2.0";
    pb["id"] = "playbook--" + Uuid5("mxir/runbook/" + rb_.id);
    pb["name"] = rb_.title;
    pb["description"] = rb_.summary + "\n\nExported by mxir from playbooks/" + rb_.id +
                        ".yaml version " + std::to_string(rb_.version) + " (sha256 " + rb_.sha256 +
                        ").";
    pb["playbook_types"] = {rb_.id == "triage" ? "investigation" : "remediation"};
    pb["created_by"] = identity_;
    std::string ts = rb_.updated + "T00:00:00.000Z";
    pb["created"] = ts;
    pb["modified"] = ts;
    if (!rb_.triggers.empty()) pb["labels"] = rb_.triggers;
    if (!rb_.references.empty()) {
      ordered_json refs = ordered_json::array();
      for (const auto& [n, u] : rb_.references) refs.push_back({{"name", n}, {"url", u}});
      pb["external_references"] = refs;
    }
    pb["playbook_processing_summary"] = {
        {"manual_playbook", !has_run_}, {"if_logic", has_if_},
        {"switch_logic", has_switch_},  {"while_logic", has_while_},
        {"temporal_logic", has_time_},  {"extensions", true}};
    pb["playbook_variables"] = Variables();
    pb["workflow_start"] = start;
    pb["workflow"] = wf_;
    pb["agent_definitions"] = {
        {agent_, {{"type", "individual"}, {"name", "Person handling the incident"}}}};
    pb["extension_definitions"] = {
        {ext_,
         {{"type", "extension-definition"},
          {"name", "mxir step semantics"},
          {"description",
           "mxir-runbook/1 semantics CACAO has no place for: gates (typed confirmation), "
           "expectations, verify probes, whether a step changes something, answer types."},
          {"created_by", identity_},
          {"schema",
           "mxir step extension v1 (mxir_step_id, mxir_type, mutates, gate, confirm, "
           "danger, expect, verify, requires, answer, outcome)"},
          {"version", "1.0.0"}}}};
    return pb;
  }

 private:
  std::string Id(const std::string& type, const std::string& path) {
    return type + "--" + Uuid5("mxir/runbook/" + rb_.id + "/" + path);
  }
  std::string Ref(const std::string& id) {
    referenced_.insert(id);
    return id;
  }
  std::string EndFor(const std::string& path, const std::string& name) {
    std::string id = Id("end", path);
    if (!ends_.count(id)) ends_[id] = {{"type", "end"}, {"name", name}};
    return id;
  }
  static std::string CacaoId(const Step& s) {
    switch (s.type) {
      case StepType::kIf:
        return "if-condition";
      case StepType::kSwitch:
        return "switch-condition";
      case StepType::kRepeat:
        return "while-condition";
      case StepType::kEnd:
        return "end";
      default:
        return "action";
    }
  }

  // Emits `steps` so that the last one continues at `next`; returns the first step's id.
  std::string List(const std::vector<Step>& steps, const std::string& next, bool top) {
    std::string cont = next;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) cont = One(*it, cont);
    if (steps.empty()) return Ref(next);
    (void)top;
    return cont;
  }

  ordered_json Ext(const Step& s) {
    ordered_json e = {{"mxir_step_id", s.id}, {"mxir_type", StepTypeName(s.type)}};
    return e;
  }

  void Pointers(ordered_json& j, const std::string& next, const std::string& failure) {
    if (failure.empty()) {
      j["on_completion"] = Ref(next);
    } else {
      j["on_success"] = Ref(next);
      j["on_failure"] = Ref(failure);
    }
  }

  std::string One(const Step& s, const std::string& next) {
    std::string id = Id(CacaoId(s), s.id);
    ordered_json j;
    j["type"] = CacaoId(s);
    j["name"] = s.title.empty() ? s.id : CacaoText(s.title, &used_);
    std::string desc = CacaoText(s.explain, &used_);
    ordered_json ext = Ext(s);
    std::string failure;
    if (!s.on_failure_stop.empty()) failure = EndFor(s.id + ".failed", "End: " + s.on_failure_stop);
    for (const auto& e : s.expect)
      if (!e.warn && failure.empty()) failure = EndFor(s.id + ".stop", "End: " + e.stop);
    if (!s.expect.empty()) {
      ordered_json ex = ordered_json::array();
      for (const auto& e : s.expect)
        ex.push_back({{"that", e.that},
                      {"else", e.warn ? ordered_json("warn") : ordered_json({{"stop", e.stop}})}});
      ext["expect"] = ex;
    }
    if (!s.when.empty()) {
      ext["when"] = s.when;
      desc += (desc.empty() ? "" : "\n") + std::string("Only when: ") + s.when + ".";
    }
    switch (s.type) {
      case StepType::kSay:
        j["commands"] = {{{"type", "manual"}, {"command", "Read: " + CacaoText(s.text, &used_)}}};
        j["agent"] = agent_;
        Pointers(j, next, "");
        break;
      case StepType::kRun: {
        has_run_ = true;
        std::vector<std::string> argv;
        for (const auto& a : s.run) argv.push_back(CacaoText(a, &used_));
        j["commands"] = {{{"type", "bash"}, {"command", ShellQuoted(argv)}}};
        j["agent"] = agent_;
        if (s.timeout_s) {
          j["timeout"] = s.timeout_s * 1000;
          has_time_ = true;
        }
        if (!s.outputs.empty()) {
          ordered_json out = ordered_json::array();
          for (const auto& o : s.outputs) {
            out.push_back(VarKey(o.first));
            declared_[VarKey(o.first)] = {
                {"type", "string"},
                {"description", "output of step " + s.id + " (" + o.second + ")"}};
            declared_[VarKey("steps." + s.id + "." + o.first)] = {
                {"type", "string"}, {"description", "output " + o.first + " of step " + s.id}};
          }
          j["out_args"] = out;
        }
        ext["mutates"] = s.mutates;
        if (!s.requires_gates.empty()) ext["requires"] = s.requires_gates;
        if (s.verify) {
          std::vector<std::string> vargv;
          for (const auto& a : s.verify->run) vargv.push_back(CacaoText(a, &used_));
          ext["verify"] = {{"run", ShellQuoted(vargv)}, {"that", s.verify->that}};
        }
        Pointers(j, next, failure);
        break;
      }
      case StepType::kAsk:
      case StepType::kCheck: {
        std::string text = s.text.empty() ? "" : CacaoText(s.text, &used_) + "\n";
        text += "Answer: " + CacaoText(s.question, &used_);
        if (s.answer.type == "bool") text += " (yes/no)";
        if (!s.answer.choices.empty()) {
          std::string c;
          for (const auto& ch : s.answer.choices) c += (c.empty() ? "" : ", ") + ch;
          text += " (one of: " + c + ")";
        }
        j["commands"] = {{{"type", "manual"}, {"command", text}}};
        j["agent"] = agent_;
        if (!s.save.empty()) {
          j["out_args"] = {VarKey(s.save)};
          declared_[VarKey(s.save)] = {
              {"type",
               s.answer.type == "bool" ? "bool" : (s.answer.type == "int" ? "integer" : "string")},
              {"description", "answer to step " + s.id}};
        }
        ext["answer"] = {{"type", s.answer.type}, {"choices", s.answer.choices}};
        Pointers(j, next, failure);
        break;
      }
      case StepType::kGate: {
        std::string text = (s.text.empty() ? "" : CacaoText(s.text, &used_) + "\n") +
                           "Approve by typing '" + CacaoText(s.confirm, &used_) +
                           "' (approve = success, decline = failure).";
        j["commands"] = {{{"type", "manual"}, {"command", text}}};
        j["agent"] = agent_;
        ext["gate"] = true;
        ext["confirm"] = s.confirm;
        if (!s.danger.empty()) ext["danger"] = s.danger;
        Pointers(j, next, EndFor(s.id + ".declined", "End: declined"));
        break;
      }
      case StepType::kIf: {
        has_if_ = true;
        j["condition"] = CacaoCondition(s.condition, &used_);
        std::string then_end = EndFor(s.id + ".then", "End of branch: " + s.id + " true");
        j["on_true"] = List(s.then_steps, then_end, false);
        if (!s.else_steps.empty())
          j["on_false"] = List(s.else_steps,
                               EndFor(s.id + ".else", "End of branch: " + s.id + " false"), false);
        ext["condition"] = s.condition;
        j["on_completion"] = Ref(next);
        break;
      }
      case StepType::kSwitch: {
        has_switch_ = true;
        std::set<std::string> ids;
        (void)ParseExpression(s.on, nullptr);
        std::vector<std::string> names;
        (void)ParseExpression(s.on, &names);
        std::string var = names.empty() ? VarKey(s.id) : VarKey(names[0]);
        used_.insert(var);
        j["switch"] = var;
        ordered_json cases = ordered_json::object();
        for (const auto& [value, steps] : s.cases)
          cases[value] =
              List(steps, EndFor(s.id + ".case." + value, "End of case " + value), false);
        if (!s.default_steps.empty())
          cases["default"] =
              List(s.default_steps, EndFor(s.id + ".default", "End of default case"), false);
        j["cases"] = cases;
        ext["on"] = s.on;
        j["on_completion"] = Ref(next);
        break;
      }
      case StepType::kRepeat: {
        has_while_ = true;
        has_time_ = true;
        j["condition"] = "NOT (" + CacaoCondition(s.until, &used_) + ")";
        std::string body_first =
            List(s.body, EndFor(s.id + ".round", "End of one round of " + s.id), false);
        j["on_true"] = body_first;
        if (wf_.contains(body_first)) wf_[body_first]["delay"] = s.every_s * 1000;
        j["timeout"] = s.max_s * 1000;
        ext["until"] = s.until;
        ext["every_seconds"] = s.every_s;
        ext["max_seconds"] = s.max_s;
        desc += (desc.empty() ? "" : "\n") + std::string("Repeat every ") +
                std::to_string(s.every_s) + " s until " + s.until + ", for at most " +
                std::to_string(s.max_s) + " s.";
        j["on_completion"] = Ref(next);
        break;
      }
      case StepType::kEnd:
        j["name"] = "End: " + s.outcome;
        ext["outcome"] = s.outcome;
        if (!s.text.empty()) desc += (desc.empty() ? "" : "\n") + CacaoText(s.text, &used_);
        break;
    }
    if (!desc.empty()) j["description"] = desc;
    if (s.type != StepType::kEnd) j["step_extensions"] = {{ext_, ext}};
    wf_[id] = j;
    return id;
  }

  ordered_json Variables() {
    ordered_json v = ordered_json::object();
    auto type_of = [](const std::string& t) -> std::string {
      if (t == "int") return "integer";
      if (t == "bool") return "bool";
      if (t == "ipv4") return "ipv4-addr";
      if (t == "ipv6") return "ipv6-addr";
      return "string";
    };
    for (const auto& in : rb_.inputs)
      v[VarKey(in.name)] = {
          {"type", type_of(in.type)},
          {"description",
           in.describe + (in.from.empty() ? "" : " (mxir fills it from " + in.from + ")")},
          {"external", true}};
    for (const auto& [name, value] : rb_.vars)
      v[VarKey(name)] = {{"type", value.is_number() ? "integer" : "string"},
                         {"value", ValueText(value)},
                         {"constant", true}};
    for (const auto& [k, d] : declared_)
      if (!v.contains(k)) v[k] = d;
    static const std::map<std::string, std::string> builtin = {
        {"__case_path__", "the mxir case file"},
        {"__case_title__", "the case's title"},
        {"__run_id__", "the id of this run"},
        {"__step_id__", "the id of the current step"},
        {"__step_started_at__", "when the current step started"}};
    for (const auto& k : used_)
      if (!v.contains(k)) {
        auto it = builtin.find(k);
        v[k] = {{"type", "string"},
                {"description", it != builtin.end() ? it->second : "value known at run time"},
                {"external", true}};
      }
    return v;
  }

  const Runbook& rb_;
  std::string agent_, ext_, identity_;
  ordered_json wf_ = ordered_json::object();
  std::map<std::string, ordered_json> ends_;
  std::map<std::string, ordered_json> declared_;
  std::set<std::string> referenced_, used_;
  bool has_run_ = false, has_if_ = false, has_switch_ = false, has_while_ = false,
       has_time_ = false;
};

}  // namespace

std::string Uuid5(const std::string& name) {
  std::string data(reinterpret_cast<const char*>(kNamespace), 16);
  data += name;
  unsigned char h[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
  h[6] = static_cast<unsigned char>((h[6] & 0x0f) | 0x50);
  h[8] = static_cast<unsigned char>((h[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
                h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
                h[15]);
  return out;
}

ordered_json ExportCacao(const Runbook& rb) {
  Exporter e(rb);
  return e.Run();
}

std::vector<std::string> CheckCacao(const ordered_json& pb) {
  std::vector<std::string> problems;
  const ordered_json wf = pb.value("workflow", ordered_json::object());
  auto exists = [&](const std::string& from, const char* field, const ordered_json& ref) {
    if (!ref.is_string() || !wf.contains(ref.get<std::string>()))
      problems.push_back(from + ": " + field + " names step " + ref.dump() +
                         ", which is not in the workflow");
  };
  if (!pb.contains("workflow_start") || !wf.contains(pb["workflow_start"].get<std::string>()))
    problems.push_back("workflow_start names no step of the workflow");
  std::set<std::string> declared;
  const ordered_json vars = pb.value("playbook_variables", ordered_json::object());
  for (auto it = vars.begin(); it != vars.end(); ++it) declared.insert(it.key());
  const auto agents = pb.value("agent_definitions", ordered_json::object());
  std::regex var(R"(__[A-Za-z_][A-Za-z0-9_-]*?__)");
  auto vars_in = [&](const std::string& from, const std::string& text) {
    for (std::sregex_iterator m(text.begin(), text.end(), var), end; m != end; ++m)
      if (!declared.count(m->str()))
        problems.push_back(from + ": variable " + m->str() + " is not declared");
  };
  for (auto it = wf.begin(); it != wf.end(); ++it) {
    const std::string& id = it.key();
    const auto& s = it.value();
    std::string type = s.value("type", "");
    if (id.rfind(type + "--", 0) != 0)
      problems.push_back(id + ": the key does not start with its type '" + type + "--'");
    for (const char* f : {"on_completion", "on_success", "on_failure", "on_true", "on_false"})
      if (s.contains(f)) exists(id, f, s[f]);
    if (s.contains("cases"))
      for (auto c = s["cases"].begin(); c != s["cases"].end(); ++c) exists(id, "cases", c.value());
    if (s.contains("on_completion") && (s.contains("on_success") || s.contains("on_failure")))
      problems.push_back(id + ": has on_completion together with on_success/on_failure");
    if (type == "end")
      for (const char* f : {"on_completion", "on_success", "on_failure"})
        if (s.contains(f)) problems.push_back(id + ": an end step has " + f);
    if (type == "start" && (s.contains("on_success") || s.contains("on_failure")))
      problems.push_back(id + ": a start step has on_success/on_failure");
    if (type == "action") {
      if (!s.contains("agent") || !agents.contains(s["agent"].get<std::string>()))
        problems.push_back(id + ": the action's agent is not in agent_definitions");
      if (!s.contains("commands") || s["commands"].empty())
        problems.push_back(id + ": an action without commands");
      else
        for (const auto& c : s["commands"]) vars_in(id, c.value("command", ""));
    }
    if (s.contains("condition")) vars_in(id, s["condition"].get<std::string>());
    if (s.contains("switch")) vars_in(id, s["switch"].get<std::string>());
    if (type != "end" && type != "start" && !s.contains("on_completion") &&
        !s.contains("on_success") && type != "end")
      problems.push_back(id + ": no next step (on_completion or on_success)");
  }
  std::regex ms(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
  for (const char* f : {"created", "modified"})
    if (!pb.contains(f) || !std::regex_match(pb[f].get<std::string>(), ms))
      problems.push_back(std::string(f) + " must have exactly three fraction digits");
  return problems;
}

}  // namespace mxir::playbook
