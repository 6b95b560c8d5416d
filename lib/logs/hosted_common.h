// Shared pieces of the hosted-mail parsers (Entra ID, Microsoft 365, Google Workspace, Exchange
// Server): the document parser interface for exports read as a whole (JSON, CSV with a header
// row), text decoding, a CSV reader, JSON record iteration, and the field forms those exports
// use (times without a zone, "\/Date(ms)\/", client addresses with ports and brackets).
// Reference: ../shared/reference/cloud-logs.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/event.h"
#include "core/ip_address.h"
#include "core/timestamp.h"
#include "logs/log_parser.h"

namespace mxir::logs {

// Where a document parser's events go: the record number (JSON: the 1-based record ordinal in
// the file; CSV: the line the row starts on) goes first, then the record's events. Count()
// records a named counter (skipped records by reason, records without events).
class RecordSink : public EventSink {
 public:
  virtual void SetRecord(int64_t number) = 0;
  virtual void Count(std::string_view what, int64_t n = 1) = 0;
  // True when the text given to the parser has simdjson::SIMDJSON_PADDING readable bytes after
  // its end (then JSON is parsed in place, without a copy).
  virtual bool TextIsPadded() const { return false; }
};

// A format read as a whole document (exports that are JSON or CSV with a header row, where one
// record may span lines). Never fails on content: bad records are counted and skipped.
class DocumentParser {
 public:
  virtual ~DocumentParser() = default;
  virtual const char* name() const = 0;
  // `text` is UTF-8 (see DecodeText). Records that are not of this format are counted as
  // `skipped.<name>.<reason>`.
  virtual void Parse(std::string_view text, RecordSink& sink) = 0;
};

// What an export is: JSON (an object, an array, JSON Lines, concatenated arrays: it starts with
// '{' or '[' after white space), CSV with a header row (anything else), or nothing but white
// space. The one place the JSON-or-CSV exports (entra-signin, m365-audit, m365-trace) decide.
enum class DocumentShape : uint8_t { kEmpty, kJson, kCsv };
DocumentShape ShapeOfDocument(std::string_view text);

// entra-signin, m365-audit, m365-trace, google-login.
std::vector<std::string> DocumentFormatNames();
std::unique_ptr<DocumentParser> MakeDocumentParser(std::string_view name);
// The document format of a text that starts with `head` (decoded), or "" when it is none of them.
std::string DetectDocumentFormat(std::string_view head);

// Text as UTF-8: a UTF-8 BOM is removed; UTF-16LE (with or without BOM: recognised by NUL bytes
// in the odd positions) and UTF-16BE with BOM are converted. Returns false when `raw` was
// already UTF-8 without BOM (then *out is untouched and the caller uses raw as is).
bool DecodeText(std::string_view raw, std::string* out);

// --- CSV (RFC 4180: quoted fields with "" escapes and line breaks) ------------------------
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

// --- JSON -----------------------------------------------------------------------------------
// Calls fn for each record in `text`: a single object, an array of objects, several arrays or
// objects one after another ("][", NDJSON), or a page ({"value":[...]}, {"records":[...]},
// {"items":[...]}). Elements that are not objects are counted as `skipped.<format>.not_an_object`,
// text that is not JSON as `skipped.<format>.bad_json` (the rest of the input is still read when
// it can be).
void ForEachJsonRecord(std::string_view text, const char* format, RecordSink& sink,
                       const std::function<void(simdjson::dom::object)>& fn);

// ASCII case-insensitive; inline: the JSON parsers call it for every key of every record.
inline bool KeyIs(std::string_view key, std::string_view lower_name) {
  if (key.size() != lower_name.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_name[i]) return false;
  }
  return true;
}
std::string_view JsonString(simdjson::dom::element v);  // "" when not a string
// A string, or a number as its decimal text ("" for anything else).
std::string JsonScalarText(simdjson::dom::element v);
std::optional<int64_t> JsonInt(simdjson::dom::element v);  // a number, or a string of digits

// --- field forms ----------------------------------------------------------------------------
// ISO 8601 times as Microsoft and Google write them: with or without a zone (none = UTC), a
// space or 'T', fractions of any length; also "\/Date(1728364117000)\/" and "/Date(ms)/".
std::optional<Timestamp> ParseHostedTime(std::string_view text);
// US-locale PowerShell dates "5/29/2023 12:29:35 PM" and "29.05.2023 12:29:35" (UTC assumed):
// only for exports that have no other time.
std::optional<Timestamp> ParseLocaleTime(std::string_view text);

// A client address as audit logs write it: "a.b.c.d", "a.b.c.d:port", "[v6]:port", bare IPv6,
// "::ffff:a.b.c.d", "fe80::1%3". False when it is none of them.
bool ParseClientEndpoint(std::string_view text, std::optional<IpAddress>* ip, int* port);

// protocol for an Entra/M365 client application ("Authenticated SMTP" -> "submission").
const char* ProtocolForClientApp(std::string_view client_app);

}  // namespace mxir::logs
