#include "logs/text_decode.h"

#include <cstdint>

namespace mxir::logs {

namespace {

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void Utf16ToUtf8(std::string_view raw, bool little, std::string* out) {
  out->clear();
  out->reserve(raw.size() / 2 + 16);
  auto unit = [&](size_t i) -> uint32_t {
    auto a = static_cast<uint8_t>(raw[i]), b = static_cast<uint8_t>(raw[i + 1]);
    return little ? (a | (b << 8)) : ((a << 8) | b);
  };
  size_t n = raw.size() & ~size_t{1};
  for (size_t i = 0; i < n; i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < n) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        AppendUtf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
    AppendUtf8(out, u);
  }
}

}  // namespace

bool DecodeText(std::string_view raw, std::string* out) {
  if (raw.size() >= 3 && raw.substr(0, 3) == "\xEF\xBB\xBF") {
    out->assign(raw.substr(3));
    return true;
  }
  if (raw.size() >= 2 && raw[0] == '\xFF' && raw[1] == '\xFE') {
    Utf16ToUtf8(raw.substr(2), true, out);
    return true;
  }
  if (raw.size() >= 2 && raw[0] == '\xFE' && raw[1] == '\xFF') {
    Utf16ToUtf8(raw.substr(2), false, out);
    return true;
  }
  // UTF-16LE without a BOM: ASCII text has a NUL in (nearly) every odd byte and none in the
  // even ones.
  size_t n = std::min<size_t>(raw.size(), 512) & ~size_t{1};
  if (n >= 8) {
    size_t odd_nul = 0, even_nul = 0;
    for (size_t i = 0; i < n; i += 2) {
      even_nul += raw[i] == '\0';
      odd_nul += raw[i + 1] == '\0';
    }
    if (odd_nul * 10 >= (n / 2) * 7 && even_nul * 10 < n / 2) {
      Utf16ToUtf8(raw, true, out);
      return true;
    }
  }
  return false;
}

}  // namespace mxir::logs
