// ZeekLogWriter: writes ZeekSmtpRecords as Zeek's ASCII (TSV) smtp.log.
//
// Output is byte-compatible with Zeek's default ASCII writer: the `#separator`, `#set_separator`,
// `#empty_field`, `#unset_field`, `#path`, `#open`, `#fields`, `#types` header, one row per record,
// and `#close`. Field values are escaped as Zeek does: bytes that are neither printable ASCII nor
// part of valid UTF-8 (Zeek's LogAscii::enable_utf_8 default), a backslash, and the separators
// become `\xNN`; a string that is exactly `-` is written `\x2d` so it is not mistaken for unset.
// The writer does not own the stream; write errors are the stream's state.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "core/timestamp.h"
#include "smtp/zeek_record.h"

namespace mxir::smtp {

class ZeekLogWriter {
 public:
  // `out` must outlive the writer. The header is written on the first record or on Close(), with
  // `open_time` in the `#open` line.
  ZeekLogWriter(std::ostream& out, Timestamp open_time);
  ZeekLogWriter(const ZeekLogWriter&) = delete;
  ZeekLogWriter& operator=(const ZeekLogWriter&) = delete;

  void Write(const ZeekSmtpRecord& record);
  // Writes the `#close` line (and the header if no record was written). Idempotent.
  void Close(Timestamp close_time);

  // The pieces, for callers that assemble their own output.
  static void AppendHeader(std::string& out, Timestamp open_time);
  static void AppendRow(std::string& out, const ZeekSmtpRecord& record);
  static void AppendClose(std::string& out, Timestamp close_time);
  // Appends one string field value escaped as Zeek does (`in_set`: also escape ',').
  static void AppendEscaped(std::string& out, std::string_view value, bool in_set);

 private:
  void EnsureHeader();

  std::ostream& out_;
  Timestamp open_time_;
  bool header_written_ = false;
  bool closed_ = false;
  std::string buffer_;
};

}  // namespace mxir::smtp
