#include "smtp/text_codecs.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <iconv.h>
#include <openssl/evp.h>

#include "core/secret_fingerprint.h"
#include "smtp/protocol_lines.h"

namespace mxir::smtp {
namespace {

constexpr bool IsBlank(char c) { return c == ' ' || c == '\t'; }
constexpr size_t kMaxWord = 512;  // longest encoded word we try to decode

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

std::string Latin1ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Converts with iconv; a byte sequence invalid in `charset` becomes U+FFFD (one per byte that
// cannot start a character) and a sequence cut off at the end one U+FFFD. The output is bounded:
// at most 4 bytes per input byte plus a little. nullopt only when iconv does not know `charset`.
std::optional<std::string> Iconv(const std::string& charset, std::string_view bytes) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG || out_left < 3) break;  // bounded: keep what fits
    // EILSEQ (invalid) or EINVAL (cut off at the end): one replacement, skip one byte, and
    // start over in the initial shift state (ISO-2022-JP: ASCII).
    std::memcpy(out_ptr, kReplacement, 3);
    out_ptr += 3;
    out_left -= 3;
    ++in_ptr;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

// Windows-1252 bytes 0x80-0x9F; 0 where the code page leaves the byte undefined.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Japanese mail labelled Shift_JIS is in practice Microsoft's superset (CP932: circled digits,
// NEC and IBM extensions); glibc's SJIS rejects those, CP932 reads plain Shift_JIS the same.
std::string IconvName(std::string_view charset) {
  if (EqualsNoCase(charset, "shift_jis") || EqualsNoCase(charset, "shift-jis") ||
      EqualsNoCase(charset, "sjis") || EqualsNoCase(charset, "x-sjis") ||
      EqualsNoCase(charset, "windows-31j")) {
    return "CP932";
  }
  return std::string(charset);
}

// One encoded word at value[i] ("=?cs?E?text?="): its decoded UTF-8 text and length.
std::optional<std::string> DecodeWordAt(std::string_view value, size_t i, size_t* len) {
  if (value.compare(i, 2, "=?") != 0) return std::nullopt;
  const size_t q1 = value.substr(0, std::min(value.size(), i + kMaxWord)).find('?', i + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= value.size() || value[q1 + 2] != '?') {
    return std::nullopt;
  }
  // RFC 2047 limits an encoded word to 75 characters; looking no further than a few hundred
  // keeps decoding linear on hostile headers.
  const size_t end = value.substr(0, std::min(value.size(), i + kMaxWord)).find("?=", q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view charset = value.substr(i + 2, q1 - i - 2);
  if (const size_t star = charset.find('*'); star != std::string_view::npos) {
    charset = charset.substr(0, star);  // RFC 2231 language suffix
  }
  const char enc = value[q1 + 1];
  const std::string_view text = value.substr(q1 + 3, end - q1 - 3);
  if (charset.empty() || text.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  std::string raw;
  if (enc == 'B' || enc == 'b') {
    auto decoded = Base64Decode(text);
    if (!decoded) return std::nullopt;
    raw = std::move(*decoded);
  } else if (enc == 'Q' || enc == 'q') {
    for (size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '_') {
        raw += ' ';
      } else if (text[k] == '=' && k + 2 < text.size() + 0 && HexValue(text[k + 1]) >= 0 &&
                 HexValue(text[k + 2]) >= 0) {
        raw += static_cast<char>(HexValue(text[k + 1]) * 16 + HexValue(text[k + 2]));
        k += 2;
      } else {
        raw += text[k];
      }
    }
  } else {
    return std::nullopt;
  }
  auto utf8 = ToUtf8(charset, raw);
  if (!utf8) return std::nullopt;
  *len = end + 2 - i;
  return utf8;
}

}  // namespace

std::optional<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;
      ++pad;
    } else if (!IsBase64Char(c) || pad > 0) {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  if (text.empty()) return out;
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) {
    SecureWipe(out);
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::optional<std::string> ToUtf8(std::string_view charset, std::string_view bytes) {
  if (EqualsNoCase(charset, "utf-8") || EqualsNoCase(charset, "utf8")) {
    if (!IsValidUtf8(bytes)) return std::nullopt;
    return std::string(bytes);
  }
  if (EqualsNoCase(charset, "us-ascii") || EqualsNoCase(charset, "ascii")) {
    for (char c : bytes) {
      if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
    }
    return std::string(bytes);
  }
  if (EqualsNoCase(charset, "iso-8859-1") || EqualsNoCase(charset, "latin1")) {
    return Latin1ToUtf8(bytes);
  }
  if (charset.size() > 40) return std::nullopt;
  return Iconv(IconvName(charset), bytes);
}

std::string Windows1252ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 && c < 0xa0) {
      const uint16_t cp = kCp1252High[c - 0x80];
      if (cp == 0) {
        out += kReplacement;
      } else {
        AppendUtf8(out, cp);
      }
    } else {
      AppendUtf8(out, c);
    }
  }
  return out;
}

std::string DecodeHeaderText(std::string_view value) {
  if (IsValidUtf8(value)) return DecodeEncodedWords(value);
  // Undeclared 8-bit that is not UTF-8: Windows-1252 (what mail clients assume, a superset of
  // ISO-8859-1's printable characters). Encoded words are ASCII and survive the conversion.
  return DecodeEncodedWords(Windows1252ToUtf8(value));
}

std::string DecodeEncodedWords(std::string_view value) {
  if (value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size());
  size_t pending_blank_start = std::string_view::npos;  // blanks after an encoded word
  bool last_was_word = false;
  for (size_t i = 0; i < value.size();) {
    size_t len = 0;
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      if (auto word = DecodeWordAt(value, i, &len)) {
        if (!(last_was_word && pending_blank_start != std::string_view::npos)) {
          if (pending_blank_start != std::string_view::npos) {
            out.append(value.substr(pending_blank_start, i - pending_blank_start));
          }
        }
        pending_blank_start = std::string_view::npos;
        out += *word;
        last_was_word = true;
        i += len;
        continue;
      }
    }
    if (IsBlank(value[i]) || value[i] == '\r' || value[i] == '\n') {
      if (pending_blank_start == std::string_view::npos) pending_blank_start = i;
      ++i;
      continue;
    }
    if (pending_blank_start != std::string_view::npos) {
      out.append(value.substr(pending_blank_start, i - pending_blank_start));
      pending_blank_start = std::string_view::npos;
    }
    out += value[i];
    last_was_word = false;
    ++i;
  }
  if (pending_blank_start != std::string_view::npos) out.append(value.substr(pending_blank_start));
  return out;
}

}  // namespace mxir::smtp
