#include "playbook/render.h"

#include <cctype>

namespace mxir::playbook {

namespace {

using nlohmann::json;

bool ValidName(const std::string& n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return n.back() != '.' && n.back() != '-';
}

// Calls piece(literal) and ref(name) in order.
template <typename Lit, typename Ref>
Status Walk(const std::string& text, Lit lit, Ref ref) {
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("${", i);
    if (open == std::string::npos) {
      MXIR_RETURN_IF_ERROR(lit(text.substr(i)));
      break;
    }
    MXIR_RETURN_IF_ERROR(lit(text.substr(i, open - i)));
    size_t close = text.find('}', open + 2);
    if (close == std::string::npos)
      return MakeError(ErrorCode::kInvalidInput, "'${' without a closing '}' in '" + text + "'");
    std::string name = text.substr(open + 2, close - open - 2);
    if (!ValidName(name))
      return MakeError(ErrorCode::kInvalidInput,
                       "'${" + name + "}' is not a variable name (letters, digits, _ - .)");
    MXIR_RETURN_IF_ERROR(ref(name));
    i = close + 1;
  }
  return Status::Ok();
}

}  // namespace

Status TemplateNames(const std::string& text, std::vector<std::string>* names) {
  return Walk(
      text, [](const std::string&) { return Status::Ok(); },
      [&](const std::string& n) {
        names->push_back(n);
        return Status::Ok();
      });
}

Result<std::string> RenderText(const std::string& text, const Lookup& lookup, bool keep_unknown) {
  std::string out;
  Status s = Walk(
      text,
      [&](const std::string& l) {
        out += l;
        return Status::Ok();
      },
      [&](const std::string& n) -> Status {
        auto v = lookup(n);
        if (!v || v->is_null()) {
          if (keep_unknown) {
            out += "${" + n + "}";
            return Status::Ok();
          }
          return MakeError(ErrorCode::kNotFound, "'" + n + "' has no value");
        }
        out += ValueText(*v);
        return Status::Ok();
      });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<std::string>> RenderArgv(const std::vector<std::string>& argv,
                                            const Lookup& lookup) {
  std::vector<std::string> out;
  for (const auto& a : argv) {
    std::string arg;
    bool first = true;
    Status s = Walk(
        a,
        [&](const std::string& l) {
          arg += l;
          if (!l.empty()) first = false;
          return Status::Ok();
        },
        [&](const std::string& n) -> Status {
          auto v = lookup(n);
          if (!v || v->is_null())
            return MakeError(ErrorCode::kNotFound, "'" + n + "' has no value");
          std::string t = ValueText(*v);
          if (first && !t.empty() && t[0] == '-')
            return MakeError(ErrorCode::kInvalidInput,
                             "the value of '" + n + "' ('" + t +
                                 "') starts with '-' and would be read as an option");
          if (t.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
            return MakeError(ErrorCode::kInvalidInput,
                             "the value of '" + n + "' holds a line break or a NUL byte");
          arg += t;
          first = false;
          return Status::Ok();
        });
    if (!s.ok()) return s.error();
    out.push_back(std::move(arg));
  }
  return out;
}

std::string ShellQuoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty();
    for (char c : a)
      if (!(std::isalnum(static_cast<unsigned char>(c)) ||
            std::string("@%+=:,./_-").find(c) != std::string::npos))
        plain = false;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += '\'';
  }
  return out;
}

namespace {

struct PathPart {
  enum { kKey, kIndex, kAll, kLength } kind;
  std::string key;
  size_t index = 0;
};

Result<std::vector<PathPart>> ParsePath(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidInput,
                     "JSON path '" + path + "': " + why + " (use e.g. $.count, $[0].ip, $[*].ip)");
  };
  if (path.empty() || path[0] != '$') return bad("must start with '$'");
  std::vector<PathPart> parts;
  size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      std::string key = path.substr(i + 1, j - i - 1);
      if (key.empty()) return bad("empty key");
      if (key == "length")
        parts.push_back({PathPart::kLength, "", 0});
      else
        parts.push_back({PathPart::kKey, key, 0});
      i = j;
    } else if (path[i] == '[') {
      size_t j = path.find(']', i);
      if (j == std::string::npos) return bad("'[' without ']'");
      std::string in = path.substr(i + 1, j - i - 1);
      if (in == "*") {
        parts.push_back({PathPart::kAll, "", 0});
      } else {
        if (in.empty() || in.find_first_not_of("0123456789") != std::string::npos)
          return bad("index '" + in + "' is not a number or *");
        parts.push_back({PathPart::kIndex, "", std::stoul(in)});
      }
      i = j + 1;
    } else {
      return bad(std::string("unexpected '") + path[i] + "'");
    }
  }
  return parts;
}

json Follow(const json& doc, const std::vector<PathPart>& parts, size_t k) {
  if (k == parts.size()) return doc;
  const PathPart& p = parts[k];
  switch (p.kind) {
    case PathPart::kKey:
      if (doc.is_object() && doc.contains(p.key)) return Follow(doc[p.key], parts, k + 1);
      return nullptr;
    case PathPart::kIndex:
      if (doc.is_array() && p.index < doc.size()) return Follow(doc[p.index], parts, k + 1);
      return nullptr;
    case PathPart::kLength:
      if (doc.is_object() && doc.contains("length")) return Follow(doc["length"], parts, k + 1);
      if (doc.is_array() || doc.is_object()) return Follow(json(doc.size()), parts, k + 1);
      if (doc.is_string())
        return Follow(json(doc.get_ref<const std::string&>().size()), parts, k + 1);
      return nullptr;
    case PathPart::kAll: {
      json out = json::array();
      if (doc.is_array())
        for (const auto& e : doc) {
          json v = Follow(e, parts, k + 1);
          if (!v.is_null()) out.push_back(std::move(v));
        }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Status CheckJsonPath(const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(auto parts, ParsePath(path));
  (void)parts;
  return Status::Ok();
}

Result<json> JsonPath(const json& doc, const std::string& path) {
  MXIR_ASSIGN_OR_RETURN(auto parts, ParsePath(path));
  return Follow(doc, parts, 0);
}

}  // namespace mxir::playbook
