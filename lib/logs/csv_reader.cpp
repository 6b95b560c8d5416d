#include "logs/csv_reader.h"

#include <algorithm>

#include "core/ascii.h"
#include "logs/text_scan.h"

namespace mxir::logs {

bool CsvReader::Next(std::vector<std::string_view>* fields) {
  fields->clear();
  storage_.clear();
  for (;;) {
    if (pos_ >= text_.size()) return false;
    // Skip blank lines.
    if (text_[pos_] == '\n' ||
        (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) {
      pos_ += text_[pos_] == '\r' ? 2 : 1;
      ++line_;
      continue;
    }
    break;
  }
  row_line_ = line_;
  storage_.reserve(64);  // views into storage_ stay valid: no reallocation below 64 fields
  for (;;) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      size_t start = ++pos_;
      bool escaped = false;
      size_t end = start;
      for (;;) {
        size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) {  // unterminated: take the rest
          end = text_.size();
          pos_ = text_.size();
          break;
        }
        if (q + 1 < text_.size() && text_[q + 1] == '"') {
          escaped = true;
          pos_ = q + 2;
          continue;
        }
        end = q;
        pos_ = q + 1;
        break;
      }
      std::string_view raw = text_.substr(start, end - start);
      line_ += std::count(raw.begin(), raw.end(), '\n');
      if (escaped && storage_.size() < 64) {
        std::string& s = storage_.emplace_back();
        s.reserve(raw.size());
        for (size_t i = 0; i < raw.size(); ++i) {
          s.push_back(raw[i]);
          if (raw[i] == '"' && i + 1 < raw.size() && raw[i + 1] == '"') ++i;
        }
        fields->push_back(s);
      } else {
        fields->push_back(raw);
      }
      // Anything up to the separator after the closing quote is dropped ("a"b -> a).
      while (pos_ < text_.size() && text_[pos_] != sep_ && text_[pos_] != '\n') ++pos_;
    } else {
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != sep_ && text_[pos_] != '\n') ++pos_;
      std::string_view f = text_.substr(start, pos_ - start);
      if (!f.empty() && f.back() == '\r') f.remove_suffix(1);
      fields->push_back(f);
    }
    if (pos_ >= text_.size()) return true;
    if (text_[pos_] == sep_) {
      ++pos_;
      if (pos_ >= text_.size()) {
        fields->push_back({});
        return true;
      }
      continue;
    }
    // '\n'
    ++pos_;
    ++line_;
    if (!fields->empty() && !fields->back().empty() && fields->back().back() == '\r') {
      fields->back().remove_suffix(1);
    }
    return true;
  }
}

std::string NormalizeHeader(std::string_view h) {
  h = Trim(h);
  std::string out;
  out.reserve(h.size());
  bool space = false;
  for (char c : h) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

int ColumnIndex(const std::vector<std::string>& headers, std::string_view name) {
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace mxir::logs
