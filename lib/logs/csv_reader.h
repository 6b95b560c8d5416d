// CSV as the hosted-mail exports write it (RFC 4180), and header-name matching.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mxir::logs {

class CsvReader {
 public:
  explicit CsvReader(std::string_view text, char sep = ',') : text_(text), sep_(sep) {}
  // The next row's fields (views into the text, or into the reader's storage for unescaped
  // quoted fields: valid until the next call). False at the end.
  bool Next(std::vector<std::string_view>* fields);
  int64_t line() const { return row_line_; }  // 1-based line the last row started on

 private:
  std::string_view text_;
  char sep_;
  size_t pos_ = 0;
  int64_t line_ = 1, row_line_ = 0;
  std::vector<std::string> storage_;
};

// A header name normalised for matching: trimmed, lower case, runs of spaces collapsed.
std::string NormalizeHeader(std::string_view h);
// Index of the first column named `name` (normalised form), or -1.
int ColumnIndex(const std::vector<std::string>& headers, std::string_view name);

}  // namespace mxir::logs
