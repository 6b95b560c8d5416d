// RecordPrinter: prints records in the contract's --format choices (spec/cli.md):
// `table` (aligned columns for a person), `json` (one array), `jsonl` (one object per line),
// `csv` (RFC 4180, header row). Records are JSON objects; table and CSV show the chosen columns
// (arrays joined with ", ", missing values as "-" in tables, empty in CSV).
//
// Tables are for a person: times (RFC 3339 UTC text) are shown in the display zone
// (core/display_time.h), a cell longer than its column's width wraps onto more lines instead of
// being cut, and the table fits the terminal (TableWidth(): $COLUMNS, else the terminal's width
// when standard output is one; no limit otherwise) by narrowing its widest columns — never below
// the longest word of a column: when the columns cannot fit that way, each record is printed as
// a block of "TITLE  value" lines (blank line between records), so ids, names and addresses
// stay whole. --wide (SetTableWide) prints every record on one line, nothing wrapped.
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
  size_t max_width = 48;  // table cells longer than this wrap onto more lines
};

class RecordPrinter {
 public:
  RecordPrinter(std::ostream& out, OutputFormat format, std::vector<Column> columns);
  // The width the table must fit (0: no limit); default TableWidth().
  void set_width(size_t width) { width_ = width; }
  // What a table with no records prints instead of a bare header row (default "(none)"; "" for
  // nothing at all). Say why it is empty and what to do where the tool knows.
  void set_empty_text(std::string text) { empty_text_ = std::move(text); }
  ~RecordPrinter();

  void Add(const nlohmann::ordered_json& record);
  void Finish();
  size_t count() const { return count_; }

 private:
  std::string Cell(const nlohmann::ordered_json& record, const Column& c, bool for_table) const;
  // The table's records as blocks of "TITLE  value" lines, for a width too narrow for columns.
  void PrintBlocks(const std::vector<std::string>& titles);

  std::ostream& out_;
  OutputFormat format_;
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
  size_t count_ = 0;
  bool finished_ = false;
  size_t width_;
  std::string empty_text_ = "(none)";
};

// --wide: tables print each record on one line, nothing wrapped.
void SetTableWide(bool wide);
bool TableWide();
// The width tables must fit: $COLUMNS when set, else the terminal's width when standard output
// is a terminal, else 0 (no limit).
size_t TableWidth();
// Splits `text` into lines of at most `width` code points, breaking after spaces or '/', '&', '?'
// where it can (URLs stay readable) and inside a word only when it must.
std::vector<std::string> WrapText(const std::string& text, size_t width);

// One CSV field, quoted when needed.
std::string CsvField(const std::string& s);
// `s` with every terminal control character (C0, DEL, C1) replaced by a space.
std::string TerminalSafe(std::string_view s);
// The display form of a JSON value in a table cell.
std::string CellText(const nlohmann::ordered_json& v);

}  // namespace mxir
