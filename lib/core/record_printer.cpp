#include "core/record_printer.h"

#include <algorithm>
#include <cstdlib>

#include <sys/ioctl.h>
#include <unistd.h>

#include "core/display_time.h"
#include "core/json_text.h"

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
  return CompactJson(v);
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

bool g_wide = false;

// Byte length of the UTF-8 sequence starting with `c`.
size_t SeqLen(unsigned char c) {
  return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

}  // namespace

void SetTableWide(bool wide) { g_wide = wide; }
bool TableWide() { return g_wide; }

size_t TableWidth() {
  if (const char* env = std::getenv("COLUMNS"); env && *env) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end && *end == '\0' && v >= 20 && v < 100000) return static_cast<size_t>(v);
  }
  if (::isatty(STDOUT_FILENO)) {
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  }
  return 0;
}

std::vector<std::string> WrapText(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  if (width == 0 || Width(text) <= width) {
    lines.push_back(text);
    return lines;
  }
  // Split into code points.
  std::vector<std::string> cps;
  for (size_t i = 0; i < text.size();) {
    size_t n = std::min(SeqLen(static_cast<unsigned char>(text[i])), text.size() - i);
    cps.push_back(text.substr(i, n));
    i += n;
  }
  size_t start = 0;
  while (start < cps.size()) {
    while (start < cps.size() && cps[start] == " ") ++start;  // no leading blanks on a line
    if (start >= cps.size()) break;
    size_t end = std::min(start + width, cps.size());
    if (end < cps.size()) {
      // Break after the last space or URL separator that leaves something on the line.
      size_t brk = end;
      while (brk > start + 1) {
        const std::string& c = cps[brk - 1];
        if (c == " " || c == "/" || c == "&" || c == "?" || c == "," || c == "-") break;
        --brk;
      }
      if (brk > start + 1) end = brk;
    }
    std::string line;
    for (size_t i = start; i < end; ++i) line += cps[i];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(line);
    start = end;
  }
  if (lines.empty()) lines.emplace_back();
  return lines;
}

RecordPrinter::RecordPrinter(std::ostream& out, OutputFormat format, std::vector<Column> columns)
    : out_(out), format_(format), columns_(std::move(columns)), width_(TableWidth()) {
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
    if (it->is_string()) s = DisplayTimeText(s);
  }
  return s;
}

void RecordPrinter::Add(const nlohmann::ordered_json& record) {
  ++count_;
  switch (format_) {
    case OutputFormat::kJsonl:
      out_ << CompactJson(record) << "\n";
      break;
    case OutputFormat::kJson:
      out_ << (count_ > 1 ? ",\n" : "\n") << CompactJson(record);
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

namespace {

// The widest piece of `text` that WrapText keeps on one line: pieces end at spaces and after
// '/', '&' and '?' (so a URL may wrap, an id or an address may not).
size_t LongestUnbreakable(const std::string& text) {
  size_t longest = 0, start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    bool end = i == text.size() || text[i] == ' ';
    bool after = !end && (text[i] == '/' || text[i] == '&' || text[i] == '?');
    if (end || after) {
      size_t stop = after ? i + 1 : i;
      longest = std::max(longest, Width(text.substr(start, stop - start)));
      start = stop + (end ? 1 : 0);
    }
  }
  return longest;
}

}  // namespace

void RecordPrinter::PrintBlocks(const std::vector<std::string>& titles) {
  size_t label = 0;
  for (const auto& t : titles) label = std::max(label, Width(t));
  // Values wrap in what is left of the line (words are cut only when one alone is too long).
  const size_t value_width = width_ > label + 2 + 12 ? width_ - label - 2 : 12;
  bool first = true;
  for (const auto& row : rows_) {
    if (!first) out_ << "\n";
    first = false;
    for (size_t i = 0; i < titles.size(); ++i) {
      std::vector<std::string> lines = WrapText(row[i], value_width);
      if (lines.empty()) lines.emplace_back();
      for (size_t l = 0; l < lines.size(); ++l) {
        std::string line = (l == 0 ? titles[i] : std::string()) + " ";
        line += std::string(label + 2 - Width(line), ' ') + lines[l];
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out_ << line << "\n";
      }
    }
  }
}

void RecordPrinter::Finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == OutputFormat::kJson) {
    out_ << (count_ ? "\n]\n" : "]\n");
  } else if (format_ == OutputFormat::kTable && rows_.empty()) {
    if (!empty_text_.empty()) out_ << empty_text_ << "\n";
  } else if (format_ == OutputFormat::kTable) {
    std::vector<std::string> titles;
    for (const auto& c : columns_) {
      std::string t = c.title;
      // Times are shown with their zone in each cell; "(UTC)" in a title would now be wrong.
      if (size_t p = t.find(" (UTC)"); p != std::string::npos) t.erase(p, 6);
      titles.push_back(t);
    }
    const size_t n = columns_.size();
    // A column of times all in one zone shows the zone once, in its title: "LAST SEEN (JST)".
    for (size_t i = 0; i < n; ++i) {
      std::string zone;
      bool same = !rows_.empty();
      for (const auto& row : rows_) {
        const std::string& cell = row[i];
        if (cell == "-") continue;
        size_t sp = cell.rfind(' ');
        if (cell.size() < 21 || sp != 19 || cell[4] != '-' || cell[13] != ':') {
          same = false;
          break;
        }
        std::string z = cell.substr(sp + 1);
        if (!zone.empty() && z != zone) {
          same = false;
          break;
        }
        zone = z;
      }
      if (!same || zone.empty()) continue;
      for (auto& row : rows_) {
        if (row[i] != "-") row[i].resize(19);
      }
      titles[i] += " (" + zone + ")";
    }
    std::vector<size_t> widths(n), word_floors(n);
    for (size_t i = 0; i < n; ++i) {
      size_t content = Width(titles[i]), longest_word = Width(titles[i]);
      for (const auto& row : rows_) {
        content = std::max(content, Width(row[i]));
        longest_word = std::max(longest_word, LongestUnbreakable(row[i]));
      }
      widths[i] =
          g_wide ? content : std::min(content, std::max(columns_[i].max_width, Width(titles[i])));
      // Narrow only down to the longest word: names, addresses, ids and kinds stay whole.
      word_floors[i] = std::min(widths[i], longest_word);
    }
    if (!g_wide && width_ > 0) {
      auto total = [&] {
        size_t t = 0;
        for (size_t w : widths) t += w;
        return t + (n ? 2 * (n - 1) : 0);
      };
      // Narrow the widest column that can give, one step at a time, until the table fits.
      while (total() > width_) {
        size_t best = n;
        for (size_t i = 0; i < n; ++i) {
          if (widths[i] > word_floors[i] && (best == n || widths[i] > widths[best])) best = i;
        }
        if (best == n) break;  // as narrow as whole words allow
        --widths[best];
      }
      // Too narrow for columns without cutting words in pieces: one block per record instead.
      if (total() > width_) {
        PrintBlocks(titles);
        out_.flush();
        return;
      }
    }
    auto print_row = [&](const std::vector<std::string>& cells) {
      std::vector<std::vector<std::string>> wrapped(n);
      size_t height = 1;
      for (size_t i = 0; i < n; ++i) {
        wrapped[i] = g_wide ? std::vector<std::string>{cells[i]} : WrapText(cells[i], widths[i]);
        height = std::max(height, wrapped[i].size());
      }
      for (size_t l = 0; l < height; ++l) {
        std::string line;
        for (size_t i = 0; i < n; ++i) {
          const std::string cell = l < wrapped[i].size() ? wrapped[i][l] : "";
          line += cell;
          if (i + 1 < n) {
            size_t w = std::max(widths[i], Width(cell));
            line += std::string(w - Width(cell) + 2, ' ');
          }
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out_ << line << "\n";
      }
    };
    print_row(titles);
    for (const auto& row : rows_) print_row(row);
  }
  out_.flush();
}

}  // namespace mxir
