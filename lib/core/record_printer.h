// RecordPrinter: prints records in the contract's --format choices (spec/cli.md):
// `table` (aligned columns for a person), `json` (one array), `jsonl` (one object per line),
// `csv` (RFC 4180, header row). Records are JSON objects; table and CSV show the chosen columns
// (arrays joined with ", ", missing values as "-" in tables, empty in CSV).
//
// jsonl and csv rows are written as they come (streaming); table buffers rows to size columns.
// Call Finish() once at the end. Not thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mxir {

enum class OutputFormat { kTable, kJson, kJsonl, kCsv };

const char* OutputFormatName(OutputFormat f);
// Parses a --format value, accepting only the names in `allowed`.
Result<OutputFormat> ParseOutputFormat(const std::string& text,
                                       const std::vector<std::string>& allowed);

struct Column {
  std::string key;        // field of the record
  std::string title;      // header shown in table and CSV
  size_t max_width = 48;  // table cells longer than this are cut with "…"
};

class RecordPrinter {
 public:
  RecordPrinter(std::ostream& out, OutputFormat format, std::vector<Column> columns);
  ~RecordPrinter();

  void Add(const nlohmann::ordered_json& record);
  void Finish();
  size_t count() const { return count_; }

 private:
  std::string Cell(const nlohmann::ordered_json& record, const Column& c, bool for_table) const;

  std::ostream& out_;
  OutputFormat format_;
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
  size_t count_ = 0;
  bool finished_ = false;
};

// One CSV field, quoted when needed.
std::string CsvField(const std::string& s);
// `s` with every terminal control character (C0, DEL, C1) replaced by a space.
std::string TerminalSafe(std::string_view s);
// The display form of a JSON value in a table cell.
std::string CellText(const nlohmann::ordered_json& v);

}  // namespace mxir
