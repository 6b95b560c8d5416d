// Fuzzes the parsers of lib/hooks that read untrusted text: passwd-file lines (FindPasswdEntry
// and the rewrite, which must keep every other byte), provider error bodies (ProviderErrorText),
// the Postfix access-map edit, postconf output (main.cf, master.cf services, their overrides)
// down to the listeners a containment probe connects to, Base64 and Retry-After values. The input's
// first byte picks the account name's length; the rest is the text.
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
  // postconf -x / -M / -P output: the text split in three at its first two NUL bytes.
  size_t a = rest.find('\0');
  size_t b = a == std::string::npos ? std::string::npos : rest.find('\0', a + 1);
  std::string main_cf = rest.substr(0, a);
  std::string master = a == std::string::npos ? "" : rest.substr(a + 1, b - a - 1);
  std::string overrides = b == std::string::npos ? "" : rest.substr(b + 1);
  auto services = mxir::hooks::ParseSmtpdServices(master, overrides);
  auto parsed = mxir::hooks::ParsePostconf(main_cf);
  for (const auto& e : mxir::hooks::ProbeEndpoints(parsed, services)) {
    // Either where to connect, or why not: never both, never neither.
    if ((e.port == 0) == e.why_not.empty()) __builtin_trap();
  }
  (void)mxir::hooks::CheckSaslAccessOrder(parsed, services, "hash:/m");
  (void)mxir::hooks::ProbeAddresses(account, {"acme.example"});
  (void)mxir::hooks::XtextEncode(rest);
  (void)mxir::hooks::Base64Decode(rest);
  (void)mxir::hooks::Base64UrlDecode(rest);
  (void)mxir::hooks::ParseRetryAfter(rest);
  return 0;
}
