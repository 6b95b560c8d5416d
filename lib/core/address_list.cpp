#include "core/address_list.h"

namespace mxir {

std::vector<std::string> SplitAddressList(std::string_view s) {
  std::vector<std::string> out;
  bool quoted = false, escaped = false;
  int comment = 0, angle = 0;
  size_t start = 0;
  auto flush = [&](size_t end) {
    std::string_view part = s.substr(start, end - start);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (escaped) {
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (quoted) {
      quoted = c != '"';
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++comment;
    } else if (c == ')' && comment > 0) {
      --comment;
    } else if (c == '<' && comment == 0) {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == ',' && comment == 0 && angle == 0) {
      flush(i);
      start = i + 1;
    }
  }
  flush(s.size());
  return out;
}

}  // namespace mxir
