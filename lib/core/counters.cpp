#include "core/counters.h"

#include <map>

#include "core/json_writer.h"

namespace mxir {

int64_t* Counters::Find(std::string_view name) {
  for (auto& [k, v] : items_) {
    if (k == name) return &v;
  }
  return nullptr;
}

void Counters::Add(std::string_view name, int64_t n) {
  if (int64_t* v = Find(name)) {
    *v += n;
  } else {
    items_.emplace_back(std::string(name), n);
  }
}

void Counters::Set(std::string_view name, int64_t value) {
  if (int64_t* v = Find(name)) {
    *v = value;
  } else {
    items_.emplace_back(std::string(name), value);
  }
}

int64_t Counters::Get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return 0;
}

void Counters::Merge(const Counters& other) {
  for (const auto& [k, v] : other.items_) Add(k, v);
}

std::string Counters::ToJson() const {
  // Group "a.b" under "a", keeping first-use order of the groups.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> groups;
  std::map<std::string, int64_t> plain;
  for (const auto& [k, v] : items_) {
    auto dot = k.find('.');
    std::string head = dot == std::string::npos ? k : k.substr(0, dot);
    if (!groups.count(head) && !plain.count(head)) order.push_back(head);
    if (dot == std::string::npos) {
      plain[head] = v;
    } else {
      groups[head].emplace_back(k.substr(dot + 1), v);
    }
  }
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  for (const auto& head : order) {
    w.Key(head);
    if (groups.count(head)) {
      w.BeginObject();
      for (const auto& [k, v] : groups[head]) w.Field(k, v);
      w.EndObject();
    } else {
      w.Int(plain[head]);
    }
  }
  w.EndObject();
  return out;
}

std::string Counters::Summary() const {
  std::string out;
  std::string current_group;
  bool in_group = false;
  for (const auto& [k, v] : items_) {
    auto dot = k.find('.');
    if (dot == std::string::npos) {
      if (in_group) out += ")";
      in_group = false;
      if (!out.empty()) out += ", ";
      out += std::to_string(v) + " " + k;
      for (char& c : out) {
        if (c == '_') c = ' ';
      }
      continue;
    }
    std::string head = k.substr(0, dot);
    if (!in_group || head != current_group) {
      if (in_group) out += ")";
      if (!out.empty()) out += ", ";
      out += head + " (";
      current_group = head;
      in_group = true;
    } else {
      out += ", ";
    }
    out += k.substr(dot + 1) + " " + std::to_string(v);
  }
  if (in_group) out += ")";
  return out;
}

}  // namespace mxir
