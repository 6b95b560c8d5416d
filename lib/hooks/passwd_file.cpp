#include "hooks/passwd_file.h"

#include <cstdint>
#include <optional>

namespace mxir::hooks {

Result<PasswdEntry> FindPasswdEntry(std::string_view text, std::string_view account) {
  if (account.empty() || account.find_first_of(":\r\n") != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidInput,
                     "account name must be non-empty and hold no ':' or line break");
  }
  std::optional<PasswdEntry> found;
  size_t pos = 0, line_number = 0;
  while (pos < text.size()) {
    ++line_number;
    size_t eol = text.find('\n', pos);
    size_t end = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    std::string_view user = line.substr(0, colon);
    if (!line.empty() && line[0] != '#' && user == account) {
      if (found) {
        return MakeError(ErrorCode::kInvalidInput,
                         "account '" + std::string(account) + "' appears on lines " +
                             std::to_string(found->line_number) + " and " +
                             std::to_string(line_number) +
                             " of the passwd-file; fix the file so it names it once");
      }
      if (colon == std::string_view::npos) {
        return MakeError(ErrorCode::kInvalidInput,
                         "line " + std::to_string(line_number) + " names '" + std::string(account) +
                             "' but has no password field (expected user:password:...)");
      }
      PasswdEntry e;
      e.line_number = line_number;
      e.password_begin = pos + colon + 1;
      size_t next = line.find(':', colon + 1);
      e.password_end = pos + (next == std::string_view::npos ? line.size() : next);
      e.password_field =
          std::string(text.substr(e.password_begin, e.password_end - e.password_begin));
      // Fields: 0 user, 1 password, 2 uid, 3 gid, 4 gecos, 5 home.
      size_t field = 1, start = colon + 1;
      while (field < 5 && start <= line.size()) {
        size_t c = line.find(':', start);
        if (c == std::string_view::npos) {
          start = line.size() + 1;
          break;
        }
        start = c + 1;
        ++field;
      }
      if (field == 5 && start <= line.size()) {
        size_t c = line.find(':', start);
        e.home =
            std::string(line.substr(start, c == std::string_view::npos ? line.npos : c - start));
      }
      {  // uid and gid (fields 2 and 3): numbers, or empty when Dovecot uses a global one.
        std::string_view rest = line.substr(colon + 1);
        std::string_view f[3];
        for (int i = 0; i < 3; ++i) {
          size_t c = rest.find(':');
          f[i] = rest.substr(0, c);
          rest = c == std::string_view::npos ? std::string_view() : rest.substr(c + 1);
        }
        auto number = [](std::string_view v) -> int64_t {
          if (v.empty() || v.size() > 10) return -1;
          int64_t n = 0;
          for (char ch : v) {
            if (ch < '0' || ch > '9') return -1;
            n = n * 10 + (ch - '0');
          }
          return n <= 0xFFFFFFFEll ? n : -1;
        };
        e.uid = number(f[1]);
        e.gid = number(f[2]);
      }
      found = std::move(e);
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  if (!found) {
    return MakeError(ErrorCode::kNotFound,
                     "no passwd-file line for account '" + std::string(account) +
                         "' (accounts are matched on the first field exactly as written)");
  }
  return *found;
}

std::string ReplacePasswordField(std::string_view text, const PasswdEntry& entry,
                                 std::string_view new_field) {
  std::string out;
  out.reserve(text.size() + new_field.size());
  out.append(text.substr(0, entry.password_begin));
  out.append(new_field);
  out.append(text.substr(entry.password_end));
  return out;
}

}  // namespace mxir::hooks
