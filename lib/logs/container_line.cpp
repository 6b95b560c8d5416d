#include "logs/container_line.h"

#include <nlohmann/json.hpp>

#include "logs/text_scan.h"

namespace mxir::logs {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// "name<spaces>| rest" as `docker compose logs` prints it.
bool ComposePrefix(std::string_view line, std::string_view* inner) {
  size_t i = 0;
  while (i < line.size() && i < 128 && IsNameChar(line[i])) ++i;
  if (i == 0 || i >= line.size() || line[i] != ' ') return false;
  while (i < line.size() && line[i] == ' ') ++i;
  if (i >= line.size() || line[i] != '|') return false;
  ++i;
  if (i < line.size() && line[i] == ' ') ++i;
  *inner = line.substr(i);
  return !inner->empty();
}

// Cheap test before a full stamp parse: "Mon " (syslog) or "2026-" (ISO) at the start.
bool MayStartWithStamp(std::string_view s) {
  if (s.size() < 16) return false;
  if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z' && s[2] >= 'a' && s[2] <= 'z' &&
      s[3] == ' ') {
    return true;
  }
  return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
         s[3] >= '0' && s[3] <= '9' && s[4] == '-';
}

}  // namespace

bool UnwrapContainerLine(std::string_view line, std::string* storage, std::string_view* inner) {
  if (!line.empty() && line.front() == '{') {
    if (line.find("\"log\"") == std::string_view::npos) return false;
    auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return false;
    auto it = j.find("log");
    if (it == j.end() || !it->is_string()) return false;
    *storage = it->get<std::string>();
    while (!storage->empty() && (storage->back() == '\n' || storage->back() == '\r')) {
      storage->pop_back();
    }
    *inner = *storage;
    return true;
  }
  return ComposePrefix(line, inner);
}

bool ResplitNestedLine(LogTime& time, LogRecord* rec) {
  std::string_view msg = rec->message;
  if (!MayStartWithStamp(msg)) return false;
  LogRecord inner;
  SplitLogLine(msg, time, &inner);
  if (!inner.has_ts || inner.program.empty()) return false;
  inner.line = rec->line;
  // `docker logs --timestamps` puts the engine's RFC 3339 stamp (with the year and zone) before
  // the line's own year-less one: that stamp is kept.
  std::string_view raw = rec->raw;
  if (rec->has_ts && raw.size() > 10 && raw[4] == '-' && raw[10] == 'T') inner.ts = rec->ts;
  *rec = inner;
  return true;
}

}  // namespace mxir::logs
