#include "logs/log_record.h"

#include <array>
#include <cctype>

namespace mxir::logs {
namespace {

// A syslog tag: letters, digits and "/._-" then optionally "[pid]" or "(pid)" (Dovecot puts
// "(user,ip,...)" and "<session>" there), then ':'. On success sets program/pid and returns the
// index after the ':'.
constexpr auto kTagChar = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['/'] = t['.'] = t['_'] = t['-'] = true;
  return t;
}();

size_t ParseTag(std::string_view s, std::string_view* program, std::string_view* pid) {
  size_t i = 0;
  while (i < s.size() && kTagChar[static_cast<unsigned char>(s[i])]) ++i;
  if (i == 0 || i >= s.size()) return std::string_view::npos;
  size_t name_end = i;
  std::string_view p;
  if (s[i] == ' ' && i + 1 < s.size() && s[i + 1] == '[') ++i;  // "sogod [26818]:"
  if (s[i] == '[' || s[i] == '(') {
    char close = s[i] == '[' ? ']' : ')';
    size_t end = s.find(close, i + 1);
    if (end == std::string_view::npos || end - i > 200) return std::string_view::npos;
    p = s.substr(i + 1, end - i - 1);
    i = end + 1;
    if (i < s.size() && s[i] == '<') {  // Dovecot 2.4 "auth(...)<session>:"
      size_t gt = s.find('>', i);
      if (gt == std::string_view::npos) return std::string_view::npos;
      i = gt + 1;
    }
  }
  if (i >= s.size() || s[i] != ':') return std::string_view::npos;
  if (i + 1 < s.size() && s[i + 1] != ' ') return std::string_view::npos;
  *program = s.substr(0, name_end);
  *pid = p;
  ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

}  // namespace

bool ProgramIs(std::string_view program, std::string_view name) {
  if (program.size() < name.size()) return false;
  if (program.substr(program.size() - name.size()) != name) return false;
  return program.size() == name.size() || program[program.size() - name.size() - 1] == '/';
}

void SplitLogLine(std::string_view line, LogTime& time, LogRecord* rec) {
  *rec = LogRecord{};
  rec->raw = line;
  size_t used = 0;
  std::string_view rest = line;
  if (time.ParsePrefix(line, &rec->ts, &used)) {
    rec->has_ts = true;
    rest = line.substr(used);
  } else if (line.size() > 8 && line.compare(0, 8, "<co ts=\"") == 0) {
    // Oracle Communications Messaging Server's XML log: the stamp is the first attribute.
    if (time.ParseIso(line.substr(8), &rec->ts, &used)) rec->has_ts = true;
    rec->message = line;
    return;
  } else if (!line.empty() && line[0] == '[') {
    // "[28325:00010-3735542592] 22-06-2014 09:56:12 ..." (Domino): a process tag, then the stamp.
    size_t close = line.find("] ");
    if (close != std::string_view::npos && close < 64 &&
        time.ParsePrefix(line.substr(close + 2), &rec->ts, &used)) {
      rec->has_ts = true;
      rest = line.substr(close + 2 + used);
    }
  }
  // A syslog priority some relays keep: "<mail.info> host tag: msg".
  if (rest.size() > 2 && rest[0] == '<') {
    size_t gt = rest.find("> ");
    if (gt != std::string_view::npos && gt < 24) rest.remove_prefix(gt + 2);
  }
  rec->message = rest;
  // "tag: msg" (no host field) or "host tag: msg". The host form is syslog's: only after a
  // classic, TAI64N or RFC 3339 ('T') stamp, or with no stamp at all (journal exports); the
  // formats with their own stamps (Exim's "2013-01-04 17:03:46", Kerio's "[...]") have none.
  std::string_view program, pid;
  size_t at = ParseTag(rest, &program, &pid);
  if (at != std::string_view::npos) {
    rec->program = program;
    rec->pid = pid;
    rec->message = rest.substr(at);
    if (!rec->has_ts && time.ParsePrefix(rec->message, &rec->ts, &used)) {
      rec->has_ts = true;
      rec->message.remove_prefix(used);
    }
    return;
  }
  bool syslog_stamp =
      !rec->has_ts ||
      (!line.empty() && (std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '@')) ||
      (line.size() > 10 && line[10] == 'T');
  if (!syslog_stamp) return;
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos || sp == 0) return;
  std::string_view after = rest.substr(sp + 1);
  at = ParseTag(after, &program, &pid);
  if (at != std::string_view::npos) {
    rec->host = rest.substr(0, sp);
    rec->program = program;
    rec->pid = pid;
    rec->message = after.substr(at);
  }
  // journald-style exports put the stamp after the tag ("host exim[1]: 2021-07-17 23:20:49 ...").
  if (!rec->has_ts && !rec->program.empty() && time.ParsePrefix(rec->message, &rec->ts, &used)) {
    rec->has_ts = true;
    rec->message.remove_prefix(used);
  }
}

}  // namespace mxir::logs
