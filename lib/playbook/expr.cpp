#include "playbook/expr.h"

#include <cctype>
#include <cstdlib>

namespace mxir::playbook {

namespace {

using nlohmann::json;

enum class Tok { kIdent, kNumber, kString, kOp, kLParen, kRParen, kEnd };

struct Token {
  Tok kind;
  std::string text;
  size_t pos;
};

// Runbook expressions are a line or two; a bound keeps every tree walk shallow.
constexpr size_t kMaxExpressionLength = 2000;

Result<std::vector<Token>> Tokenise(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  if (s.size() > kMaxExpressionLength)
    return MakeError(ErrorCode::kInvalidInput, "an expression of " + std::to_string(s.size()) +
                                                   " characters is too long (at most " +
                                                   std::to_string(kMaxExpressionLength) + ")");
  auto bad = [&](const std::string& what) {
    return MakeError(ErrorCode::kInvalidInput,
                     "expression '" + s + "': " + what + " at position " + std::to_string(i + 1));
  };
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    size_t start = i;
    if (std::isalpha(c) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                              s[i] == '-' || s[i] == '.'))
        ++i;
      if (s[i - 1] == '.' || s[i - 1] == '-') return bad("a name ends with '.' or '-'");
      out.push_back({Tok::kIdent, s.substr(start, i - start), start});
    } else if (std::isdigit(c) || (c == '-' && i + 1 < s.size() &&
                                   std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      ++i;
      bool dot = false;
      while (i < s.size() &&
             (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !dot))) {
        if (s[i] == '.') dot = true;
        ++i;
      }
      out.push_back({Tok::kNumber, s.substr(start, i - start), start});
    } else if (c == '\'' || c == '"') {
      ++i;
      std::string v;
      while (i < s.size() && s[i] != static_cast<char>(c)) v += s[i++];
      if (i >= s.size()) return bad("a quoted text is not closed");
      ++i;
      out.push_back({Tok::kString, v, start});
    } else if (c == '(') {
      out.push_back({Tok::kLParen, "(", i++});
    } else if (c == ')') {
      out.push_back({Tok::kRParen, ")", i++});
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, static_cast<char>(c));
      ++i;
      if (i < s.size() && s[i] == '=') op += s[i++];
      if (op == "=" || op == "!") return bad("'" + op + "' is not an operator (use == or !=)");
      out.push_back({Tok::kOp, op, start});
    } else {
      return bad(std::string("unexpected '") + static_cast<char>(c) + "'");
    }
  }
  out.push_back({Tok::kEnd, "", s.size()});
  return out;
}

// A small syntax tree.
struct Node {
  enum Kind { kLiteral, kIdent, kNot, kAnd, kOr, kCompare } kind;
  json value;
  std::string text;  // identifier or operator
  std::vector<Node> kids;
};

class Parser {
 public:
  Parser(const std::string& src, std::vector<Token> toks) : src_(src), t_(std::move(toks)) {}

  Result<Node> Parse() {
    MXIR_ASSIGN_OR_RETURN(Node n, Or());
    if (Peek().kind != Tok::kEnd) return Bad("unexpected '" + Peek().text + "'");
    return n;
  }

 private:
  const Token& Peek() const { return t_[i_]; }
  bool IsWord(const char* w) const { return Peek().kind == Tok::kIdent && Peek().text == w; }
  Error Bad(const std::string& what) const {
    return MakeError(
        ErrorCode::kInvalidInput,
        "expression '" + src_ + "': " + what + " at position " + std::to_string(Peek().pos + 1));
  }
  Result<Node> Or() {
    MXIR_ASSIGN_OR_RETURN(Node l, And());
    while (IsWord("or")) {
      ++i_;
      MXIR_ASSIGN_OR_RETURN(Node r, And());
      l = Node{Node::kOr, nullptr, "or", {std::move(l), std::move(r)}};
    }
    return l;
  }
  Result<Node> And() {
    MXIR_ASSIGN_OR_RETURN(Node l, Not());
    while (IsWord("and")) {
      ++i_;
      MXIR_ASSIGN_OR_RETURN(Node r, Not());
      l = Node{Node::kAnd, nullptr, "and", {std::move(l), std::move(r)}};
    }
    return l;
  }
  // Nesting (parentheses, `not`) is bounded so a hostile expression cannot exhaust the stack.
  static constexpr int kMaxDepth = 64;
  struct Deeper {
    explicit Deeper(int& d) : d_(d) { ++d_; }
    ~Deeper() { --d_; }
    int& d_;
  };

  Result<Node> Not() {
    if (IsWord("not")) {
      ++i_;
      Deeper guard(depth_);
      if (depth_ > kMaxDepth) return Bad("nested too deeply");
      MXIR_ASSIGN_OR_RETURN(Node n, Not());
      return Node{Node::kNot, nullptr, "not", {std::move(n)}};
    }
    return Compare();
  }
  Result<Node> Compare() {
    MXIR_ASSIGN_OR_RETURN(Node l, Primary());
    std::string op;
    if (Peek().kind == Tok::kOp) op = Peek().text;
    if (IsWord("in") || IsWord("contains")) op = Peek().text;
    if (op.empty()) return l;
    ++i_;
    MXIR_ASSIGN_OR_RETURN(Node r, Primary());
    return Node{Node::kCompare, nullptr, op, {std::move(l), std::move(r)}};
  }
  Result<Node> Primary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kLParen: {
        ++i_;
        Deeper guard(depth_);
        if (depth_ > kMaxDepth) return Bad("nested too deeply");
        MXIR_ASSIGN_OR_RETURN(Node n, Or());
        if (Peek().kind != Tok::kRParen) return Bad("missing ')'");
        ++i_;
        return n;
      }
      case Tok::kNumber:
        ++i_;
        return Node{Node::kLiteral, json(std::strtod(t.text.c_str(), nullptr)), t.text, {}};
      case Tok::kString:
        ++i_;
        return Node{Node::kLiteral, json(t.text), t.text, {}};
      case Tok::kIdent:
        if (t.text == "and" || t.text == "or" || t.text == "in" || t.text == "contains")
          return Bad("a value is missing before '" + t.text + "'");
        ++i_;
        if (t.text == "true") return Node{Node::kLiteral, json(true), t.text, {}};
        if (t.text == "false") return Node{Node::kLiteral, json(false), t.text, {}};
        if (t.text == "null") return Node{Node::kLiteral, json(nullptr), t.text, {}};
        return Node{Node::kIdent, nullptr, t.text, {}};
      case Tok::kEnd:
        return Bad("the expression ends where a value is expected");
      default:
        return Bad("unexpected '" + t.text + "'");
    }
  }

  const std::string& src_;
  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

Result<Node> ParseTree(const std::string& text) {
  MXIR_ASSIGN_OR_RETURN(auto toks, Tokenise(text));
  Parser p(text, std::move(toks));
  return p.Parse();
}

void Collect(const Node& n, std::vector<std::string>* out) {
  if (n.kind == Node::kIdent) out->push_back(n.text);
  for (const auto& k : n.kids) Collect(k, out);
}

// A number from a number or a numeric text ("42" from a tool's output or an answer).
std::optional<double> AsNumber(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return std::nullopt;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end && *end == '\0') return d;
  }
  return std::nullopt;
}

bool Equal(const json& a, const json& b) {
  auto na = AsNumber(a), nb = AsNumber(b);
  if (na && nb) return *na == *nb;
  if (a.is_boolean() || b.is_boolean())
    return Truthy(a) == Truthy(b) && (a.is_boolean() || a.is_string()) &&
           (b.is_boolean() || b.is_string());
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  return ValueText(a) == ValueText(b);
}

Result<json> Eval(const Node& n, const Lookup& lookup) {
  switch (n.kind) {
    case Node::kLiteral:
      return n.value;
    case Node::kIdent: {
      auto v = lookup(n.text);
      if (!v) return MakeError(ErrorCode::kNotFound, "'" + n.text + "' is not known yet");
      return *v;
    }
    case Node::kNot: {
      MXIR_ASSIGN_OR_RETURN(json v, Eval(n.kids[0], lookup));
      return json(!Truthy(v));
    }
    case Node::kAnd: {
      MXIR_ASSIGN_OR_RETURN(json l, Eval(n.kids[0], lookup));
      if (!Truthy(l)) return json(false);
      MXIR_ASSIGN_OR_RETURN(json r, Eval(n.kids[1], lookup));
      return json(Truthy(r));
    }
    case Node::kOr: {
      MXIR_ASSIGN_OR_RETURN(json l, Eval(n.kids[0], lookup));
      if (Truthy(l)) return json(true);
      MXIR_ASSIGN_OR_RETURN(json r, Eval(n.kids[1], lookup));
      return json(Truthy(r));
    }
    case Node::kCompare: {
      MXIR_ASSIGN_OR_RETURN(json l, Eval(n.kids[0], lookup));
      MXIR_ASSIGN_OR_RETURN(json r, Eval(n.kids[1], lookup));
      const std::string& op = n.text;
      if (op == "==") return json(Equal(l, r));
      if (op == "!=") return json(!Equal(l, r));
      if (op == "in" || op == "contains") {
        const json& hay = op == "in" ? r : l;
        const json& needle = op == "in" ? l : r;
        if (hay.is_array()) {
          for (const auto& e : hay)
            if (Equal(e, needle)) return json(true);
          return json(false);
        }
        if (hay.is_object()) return json(hay.contains(ValueText(needle)));
        if (hay.is_string())
          return json(hay.get_ref<const std::string&>().find(ValueText(needle)) !=
                      std::string::npos);
        return json(false);
      }
      int cmp;
      auto nl = AsNumber(l), nr = AsNumber(r);
      if (nl && nr) {
        cmp = *nl < *nr ? -1 : (*nl > *nr ? 1 : 0);
      } else if (l.is_string() && r.is_string()) {
        cmp = l.get_ref<const std::string&>().compare(r.get_ref<const std::string&>());
      } else {
        return MakeError(ErrorCode::kInvalidInput, "cannot compare " + l.dump() + " " + op + " " +
                                                       r.dump() + " (not two numbers or texts)");
      }
      if (op == "<") return json(cmp < 0);
      if (op == "<=") return json(cmp <= 0);
      if (op == ">") return json(cmp > 0);
      return json(cmp >= 0);
    }
  }
  return MakeError(ErrorCode::kInternal, "bad expression node");
}

}  // namespace

Status ParseExpression(const std::string& text, std::vector<std::string>* identifiers) {
  MXIR_ASSIGN_OR_RETURN(Node n, ParseTree(text));
  if (identifiers) Collect(n, identifiers);
  return Status::Ok();
}

Result<json> Evaluate(const std::string& text, const Lookup& lookup) {
  MXIR_ASSIGN_OR_RETURN(Node n, ParseTree(text));
  return Eval(n, lookup);
}

bool Truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return !s.empty() && s != "false" && s != "no";
  }
  return !v.empty();
}

std::string ValueText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<long long>(d)) && d < 9e15 && d > -9e15)
      return std::to_string(static_cast<long long>(d));
  }
  return v.dump();
}

}  // namespace mxir::playbook
