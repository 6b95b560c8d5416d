#include "smtp/text_codecs.h"

#include <algorithm>
#include <cerrno>
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

std::optional<std::string> Iconv(const std::string& charset, std::string_view bytes) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
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
  return Iconv(std::string(charset), bytes);
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
