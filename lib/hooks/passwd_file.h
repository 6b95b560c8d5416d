// Dovecot passwd-file entries (user:password:uid:gid:gecos:home:shell:extra_fields), read and
// changed without disturbing anything else: FindPasswdEntry locates the one line whose first
// field is exactly the account; ReplacePasswordField returns the file text with only that line's
// password field changed, every other byte (comments, odd lines, CRLF endings, a missing final
// newline) kept as it was. Pure functions over text; the file I/O is the caller's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir::hooks {

struct PasswdEntry {
  size_t line_number = 0;     // 1-based
  size_t password_begin = 0;  // byte offsets of the password field in the file text
  size_t password_end = 0;
  std::string password_field;  // e.g. "{SHA512-CRYPT}$6$..."
  std::string home;            // field 6, empty when absent
  int64_t uid = -1;            // fields 3 and 4; -1 when empty or not a number
  int64_t gid = -1;
};

// kNotFound when no line names the account; kInvalidInput when several do, when the account
// contains ':' or a line break, or when its line has no password field.
Result<PasswdEntry> FindPasswdEntry(std::string_view text, std::string_view account);

std::string ReplacePasswordField(std::string_view text, const PasswdEntry& entry,
                                 std::string_view new_field);

}  // namespace mxir::hooks
