#include "smtp/message_headers.h"

namespace mxir::smtp {
namespace {

constexpr bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

void MessageHeaderParser::Complete() {
  if (!have_current_) return;
  have_current_ = false;
  completed_.push_back(std::move(current_));
  current_ = MessageHeader();
}

void MessageHeaderParser::OnLine(std::string_view line) {
  if (!in_headers_) return;
  if (line.empty()) {
    Complete();
    in_headers_ = false;
    return;
  }
  if (IsBlank(line.front())) {
    if (!have_current_) return;
    if (current_.name.size() + current_.value.size() + line.size() > max_bytes_) {
      have_current_ = false;
      ++oversized_;
      current_ = MessageHeader();
      return;
    }
    current_.value.append(line);
    return;
  }
  Complete();
  if (line.size() > max_bytes_) {
    ++oversized_;
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;  // not a header line: ignored
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
  current_.name.assign(name);
  for (char& c : current_.name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  current_.value.assign(value);
  have_current_ = true;
}

void MessageHeaderParser::Finish() {
  if (in_headers_) Complete();
  in_headers_ = false;
}

}  // namespace mxir::smtp
