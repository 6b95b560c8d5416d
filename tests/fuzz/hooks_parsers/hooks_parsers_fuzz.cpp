// Fuzzes the parsers of lib/hooks that read untrusted text: passwd-file lines (FindPasswdEntry
// and the rewrite, which must keep every other byte), provider error bodies (ProviderErrorText),
// the Postfix access-map edit, Base64 and Retry-After values. The input's first byte picks the
// account name's length; the rest is the text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hooks/cloud_error.h"
#include "hooks/encoding.h"
#include "hooks/http_client.h"
#include "hooks/passwd_file.h"
#include "hooks/postfix_containment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t name_len = data[0] % 24;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string account = rest.substr(0, std::min(name_len, rest.size()));
  std::string text = rest.substr(account.size());
  auto entry = mxir::hooks::FindPasswdEntry(text, account);
  if (entry.ok()) {
    std::string out = mxir::hooks::ReplacePasswordField(text, *entry, "{SHA512-CRYPT}$6$new");
    // Everything before and after the password field is kept byte for byte.
    if (out.compare(0, entry->password_begin, text, 0, entry->password_begin) != 0 ||
        out.substr(entry->password_begin + 20) != text.substr(entry->password_end)) {
      __builtin_trap();
    }
    auto again = mxir::hooks::FindPasswdEntry(out, account);
    if (!again.ok() || again->password_field != "{SHA512-CRYPT}$6$new") __builtin_trap();
  }
  (void)mxir::hooks::ProviderErrorText(rest);
  bool changed = false;
  if (!account.empty() && account.find_first_of(" \t\r\n") == std::string::npos) {
    std::string blocked = mxir::hooks::EditAccessMap(text, account, true, "x", &changed);
    std::string unblocked = mxir::hooks::EditAccessMap(blocked, account, false, "x", &changed);
    (void)unblocked;
  }
  (void)mxir::hooks::Base64Decode(rest);
  (void)mxir::hooks::Base64UrlDecode(rest);
  (void)mxir::hooks::ParseRetryAfter(rest);
  return 0;
}
