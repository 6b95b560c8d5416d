// The document parser interface of the hosted-mail exports read as a whole (Entra ID, Microsoft
// 365, Google Workspace: JSON, or CSV with a header row), and how an export's format is told from
// its first bytes. The pieces those parsers share are beside it: text_decode.h (UTF-16, BOMs),
// csv_reader.h, hosted_json.h (records, pages, value forms), hosted_fields.h (times, client
// addresses). Reference: ../shared/reference/cloud-logs.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/event.h"
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

}  // namespace mxir::logs
