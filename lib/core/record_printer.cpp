#include "core/record_printer.h"

namespace mxir {

const char* OutputFormatName(OutputFormat f) {
  switch (f) {
    case OutputFormat::kTable:
      return "table";
    case OutputFormat::kJson:
      return "json";
    case OutputFormat::kJsonl:
      return "jsonl";
    case OutputFormat::kCsv:
      return "csv";
  }
  return "table";
}

Result<OutputFormat> ParseOutputFormat(const std::string& text,
                                       const std::vector<std::string>& allowed) {
  std::string list;
  bool ok = false;
  for (const auto& a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
    if (a == text) ok = true;
  }
  if (ok) {
    if (text == "table") return OutputFormat::kTable;
    if (text == "json") return OutputFormat::kJson;
    if (text == "jsonl") return OutputFormat::kJsonl;
    if (text == "csv") return OutputFormat::kCsv;
  }
  return MakeError(ErrorCode::kUsage,
                   "--format '" + text + "' is not one of the formats here (" + list + ")");
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CellText(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array()) {
    std::string s;
    for (const auto& e : v) {
      if (!s.empty()) s += ", ";
      s += CellText(e);
    }
    return s;
  }
  if (v.is_object()) {
    std::string s;
    for (const auto& [k, e] : v.items()) {
      if (!s.empty()) s += " ";
      s += k + "=" + CellText(e);
    }
    return s;
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Display width: counts UTF-8 code points, not bytes (good enough for tables of names and IPs).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::string Cut(const std::string& s, size_t max) {
  if (Width(s) <= max || max < 2) return s;
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (w == max - 1) break;
      ++w;
    }
    out += s[i];
  }
  return out + "\xE2\x80\xA6";
}

}  // namespace

RecordPrinter::RecordPrinter(std::ostream& out, OutputFormat format, std::vector<Column> columns)
    : out_(out), format_(format), columns_(std::move(columns)) {
  if (format_ == OutputFormat::kCsv) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      out_ << (i ? "," : "") << CsvField(columns_[i].key);
    }
    out_ << "\n";
  } else if (format_ == OutputFormat::kJson) {
    out_ << "[";
  }
}

RecordPrinter::~RecordPrinter() { Finish(); }

std::string TerminalSafe(std::string_view s) {
  // Table cells go to a terminal: every control character (C0, DEL, and the C1 range U+0080 to
  // U+009F as UTF-8, which some terminals obey too) becomes a space, so text taken from a log or
  // a packet (ESC [ 8 m hides the rows after it) cannot drive the terminal.
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += ' ';
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      out += ' ';
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string RecordPrinter::Cell(const nlohmann::ordered_json& record, const Column& c,
                                bool for_table) const {
  auto it = record.find(c.key);
  if (it == record.end() || it->is_null()) return for_table ? "-" : "";
  std::string s = CellText(*it);
  if (for_table) {
    s = TerminalSafe(s);
    if (s.empty()) s = "-";
    return Cut(s, c.max_width);
  }
  return s;
}

void RecordPrinter::Add(const nlohmann::ordered_json& record) {
  ++count_;
  switch (format_) {
    case OutputFormat::kJsonl:
      out_ << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      break;
    case OutputFormat::kJson:
      out_ << (count_ > 1 ? ",\n" : "\n")
           << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
    case OutputFormat::kCsv:
      for (size_t i = 0; i < columns_.size(); ++i) {
        out_ << (i ? "," : "") << CsvField(Cell(record, columns_[i], false));
      }
      out_ << "\n";
      break;
    case OutputFormat::kTable: {
      std::vector<std::string> row;
      for (const auto& c : columns_) row.push_back(Cell(record, c, true));
      rows_.push_back(std::move(row));
      break;
    }
  }
}

void RecordPrinter::Finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == OutputFormat::kJson) {
    out_ << (count_ ? "\n]\n" : "]\n");
  } else if (format_ == OutputFormat::kTable) {
    std::vector<size_t> widths;
    for (const auto& c : columns_) widths.push_back(Width(c.title));
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
    }
    auto print_row = [&](const std::vector<std::string>& cells) {
      std::string line;
      for (size_t i = 0; i < cells.size(); ++i) {
        line += cells[i];
        if (i + 1 < cells.size()) line += std::string(widths[i] - Width(cells[i]) + 2, ' ');
      }
      out_ << line << "\n";
    };
    std::vector<std::string> titles;
    for (const auto& c : columns_) titles.push_back(c.title);
    print_row(titles);
    for (const auto& row : rows_) print_row(row);
  }
  out_.flush();
}

}  // namespace mxir
