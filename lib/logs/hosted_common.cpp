#include "logs/hosted_common.h"

#include "core/ascii.h"
#include "logs/text_scan.h"

namespace mxir::logs {

DocumentShape ShapeOfDocument(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return DocumentShape::kEmpty;
  return text[first] == '{' || text[first] == '[' ? DocumentShape::kJson : DocumentShape::kCsv;
}

std::string DetectDocumentFormat(std::string_view head) {
  if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  const DocumentShape shape = ShapeOfDocument(head);
  if (shape == DocumentShape::kEmpty) return "";
  std::string low = AsciiLower(head.substr(head.find_first_not_of(" \t\r\n")));
  auto has = [&](std::string_view s) { return low.find(s) != std::string::npos; };
  if (shape == DocumentShape::kJson) {
    if (has("admin#reports#activit") ||
        (has("\"applicationname\"") && has("\"login\"") && has("\"actor\""))) {
      return "google-login";
    }
    if (has("\"auditlogrecordtype\"") || has("\"auditdata\"") ||
        (has("\"creationtime\"") && has("\"operation\""))) {
      return "m365-audit";
    }
    if (has("\"messagetraceid\"") || (has("\"recipientaddress\"") && has("\"senderaddress\""))) {
      return "m365-trace";
    }
    if ((has("\"createddatetime\"") && (has("\"userprincipalname\"") || has("\"errorcode\""))) ||
        has("\"sign-in activity\"") || has("signinlogs") ||
        (has("\"resulttype\"") && has("\"ipaddress\""))) {
      return "entra-signin";
    }
    return "";
  }
  std::string_view line = UpTo(low, "\n");
  auto in_header = [&](std::string_view s) { return line.find(s) != std::string_view::npos; };
  if (in_header("auditdata") && (in_header("creationdate") || in_header("operation"))) {
    return "m365-audit";
  }
  if ((in_header("date (utc)") && in_header("request id")) ||
      (in_header("timegenerated") && in_header("resulttype")) ||
      (in_header("createddatetime") && in_header("userprincipalname"))) {
    return "entra-signin";
  }
  if ((in_header("received") && in_header("senderaddress") && in_header("recipientaddress")) ||
      in_header("date_time_utc") || in_header("origin_timestamp_utc")) {
    return "m365-trace";
  }
  return "";
}

}  // namespace mxir::logs
