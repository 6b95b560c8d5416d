#include "logs/journal_line.h"

#include <nlohmann/json.hpp>

namespace mxir::logs {

bool ParseJournalLine(std::string_view line, LogRecord* rec, std::string* storage) {
  if (line.empty() || line.front() != '{' || line.find("\"MESSAGE\"") == std::string_view::npos) {
    return false;
  }
  auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto text = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string message = text("MESSAGE");  // binary messages are arrays: not mail log lines
  if (message.empty()) return false;
  std::string host = text("_HOSTNAME"), program = text("SYSLOG_IDENTIFIER");
  std::string pid = text("SYSLOG_PID");
  if (pid.empty()) pid = text("_PID");
  *rec = LogRecord{};
  rec->raw = line;
  std::string stamp = text("__REALTIME_TIMESTAMP");
  if (!stamp.empty() && stamp.size() < 19 &&
      stamp.find_first_not_of("0123456789") == std::string::npos) {
    rec->ts = Timestamp::FromMicros(std::stoll(stamp));
    rec->has_ts = true;
  }
  // One buffer, views made after it is complete (no reallocation afterwards).
  storage->clear();
  storage->append(host).append(program).append(pid).append(message);
  std::string_view all(*storage);
  rec->host = all.substr(0, host.size());
  rec->program = all.substr(host.size(), program.size());
  rec->pid = all.substr(host.size() + program.size(), pid.size());
  rec->message = all.substr(host.size() + program.size() + pid.size());
  return true;
}

}  // namespace mxir::logs
