// ExchangeLogParser: the common part of Exchange Server's W3C-like CSV logs (protocol, message
// tracking, HttpProxy): `#Software: Microsoft Exchange Server`, `#Log-type: ...`, `#Fields: ...`
// header lines, then CSV rows whose columns the `#Fields` line names. A subclass handles the log
// types it names; rows are given to it with their columns looked up by (lower-case) name.
// Rows before a `#Fields` line of the parser's log type are not its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "logs/csv_reader.h"
#include "logs/log_parser.h"
#include "logs/text_scan.h"

namespace mxir::logs {

class ExchangeLogParser : public LogParser {
 public:
  LineOutcome Parse(const LogRecord& rec, EventSink& sink) final {
    std::string_view line = rec.raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (StartsWith(line, "#")) {
      if (StartsWith(line, "#Software: Microsoft Exchange")) {
        state_ = kPreamble;
        return LineOutcome::kUnderstood;
      }
      if (auto type = After(line, "#Log-type:")) {
        if (IsMyLogType(Trim(*type))) {
          state_ = kMine;
          return LineOutcome::kUnderstood;
        }
        state_ = kOther;
        return LineOutcome::kNotMine;
      }
      if (auto fields = After(line, "#Fields:")) {
        if (state_ != kMine && !(state_ == kNone && LooksLikeMyFields(*fields))) {
          return LineOutcome::kNotMine;
        }
        state_ = kMine;
        columns_.clear();
        CsvReader csv(Trim(*fields));
        std::vector<std::string_view> names;
        csv.Next(&names);
        for (auto n : names) columns_.push_back(NormalizeHeader(n));
        OnFields();
        return LineOutcome::kUnderstood;
      }
      return state_ == kMine || state_ == kPreamble ? LineOutcome::kUnderstood
                                                    : LineOutcome::kNotMine;
    }
    if (state_ != kMine || columns_.empty()) return LineOutcome::kNotMine;
    CsvReader csv(line);
    if (!csv.Next(&row_)) return LineOutcome::kUnderstood;
    if (row_.size() + 2 < columns_.size()) return LineOutcome::kNotUnderstood;
    return Row(sink) ? LineOutcome::kUnderstood : LineOutcome::kNotUnderstood;
  }

 protected:
  virtual bool IsMyLogType(std::string_view type) const = 0;
  // For files whose header lost its #Log-type line: is this #Fields line one of mine?
  virtual bool LooksLikeMyFields(std::string_view fields) const = 0;
  virtual void OnFields() {}
  virtual bool Row(EventSink& sink) = 0;

  int Column(std::string_view name) const {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
  std::string_view Get(int index) const {
    return index >= 0 && static_cast<size_t>(index) < row_.size() ? row_[index]
                                                                  : std::string_view();
  }

 private:
  enum State { kNone, kPreamble, kMine, kOther };
  State state_ = kNone;
  std::vector<std::string> columns_;
  std::vector<std::string_view> row_;
};

}  // namespace mxir::logs
