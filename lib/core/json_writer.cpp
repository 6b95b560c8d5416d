#include "core/json_writer.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mxir {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not valid UTF-8.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = s.size();
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    return (i + 1 < n && (b(i + 1) & 0xC0) == 0x80) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (i + 2 >= n) return 0;
    unsigned char c1 = b(i + 1);
    if ((c1 & 0xC0) != 0x80 || (b(i + 2) & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (i + 3 >= n) return 0;
    unsigned char c1 = b(i + 1);
    if ((c1 & 0xC0) != 0x80 || (b(i + 2) & 0xC0) != 0x80 || (b(i + 3) & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

namespace {

// 1 for bytes that need escaping or UTF-8 checking: control characters, '"', '\\', and >= 0x80.
constexpr auto kSpecial = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 1;
  return t;
}();

// True when any of the 8 bytes at p is special (see kSpecial), by word-at-a-time bit tricks:
// a byte >= 0x80, a byte < 0x20, a '"' or a '\\'.
inline bool WordHasSpecial(const unsigned char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  return ((x & kHigh) | below_space | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\'))) !=
         0;
}

// memcpy for the short strings of events (names, addresses, ids) without a library call:
// two overlapping loads and stores cover 4 to 32 bytes.
inline void CopyShort(char* dst, const char* src, size_t n) {
  if (n >= 16 && n <= 32) {
    char a[16], b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
  } else if (n >= 8 && n < 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 32) {
    std::memcpy(dst, src, n);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// True when any byte of p[0, n) is special. Whole strings are checked first, so the common
// case (nothing to escape) is one copy: 16 bytes at a time with SSE2, the tail by one
// overlapping load (or a padded word for strings under 8 bytes).
bool HasSpecial(const unsigned char* p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" also catches them.
    __m128i bad =
        _mm_or_si128(_mm_cmplt_epi8(v, space),
                     _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (_mm_movemask_epi8(bad) != 0) return true;
  }
#endif
  for (; i + 8 <= n; i += 8) {
    if (WordHasSpecial(p + i)) return true;
  }
  if (i == n) return false;
  if (n >= 8) return WordHasSpecial(p + n - 8);
  unsigned char word[8];
  std::memset(word, 'a', 8);
  std::memcpy(word, p, n);
  return WordHasSpecial(word);
}

}  // namespace

char* WriteJsonString(char* dst, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *dst++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  if (!HasSpecial(p, n)) {
    CopyShort(dst, s.data(), n);
    dst[n] = '"';
    return dst + n + 1;
  }
  size_t run_start = 0;
  size_t i = 0;
  auto flush = [&](size_t end) {
    std::memcpy(dst, s.data() + run_start, end - run_start);
    dst += end - run_start;
  };
  auto put2 = [&](char a, char b) {
    dst[0] = a;
    dst[1] = b;
    dst += 2;
  };
  while (i < n) {
    // Plain runs (the common case) are found eight bytes at a time, then byte by byte, and
    // copied at once.
    while (i + 8 <= n && !WordHasSpecial(p + i)) i += 8;
    while (i < n && !kSpecial[p[i]]) ++i;
    if (i == n) break;
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
      flush(i);
      std::memcpy(dst, "\xEF\xBF\xBD", 3);  // U+FFFD for each invalid byte
      dst += 3;
      ++i;
      run_start = i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"':
        put2('\\', '"');
        break;
      case '\\':
        put2('\\', '\\');
        break;
      case '\n':
        put2('\\', 'n');
        break;
      case '\r':
        put2('\\', 'r');
        break;
      case '\t':
        put2('\\', 't');
        break;
      case '\b':
        put2('\\', 'b');
        break;
      case '\f':
        put2('\\', 'f');
        break;
      default:
        std::memcpy(dst, "\\u00", 4);
        dst[4] = kHex[c >> 4];
        dst[5] = kHex[c & 0xf];
        dst += 6;
    }
    ++i;
    run_start = i;
  }
  flush(n);
  *dst++ = '"';
  return dst;
}

void AppendJsonString(std::string& out, std::string_view s) {
  // Short strings go through a stack buffer; long ones get room in `out` first.
  char local[6 * 64 + 2];
  if (s.size() <= 64) {
    out.append(local, WriteJsonString(local, s));
    return;
  }
  const size_t old = out.size();
  out.resize(old + JsonStringBound(s.size()));
  char* end = WriteJsonString(out.data() + old, s);
  out.resize(static_cast<size_t>(end - out.data()));
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ > 0) {
    uint64_t bit = uint64_t{1} << ((depth_ - 1) & 63);
    if (has_value_ & bit) out_.push_back(',');
    has_value_ |= bit;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  ++depth_;
  has_value_ &= ~(uint64_t{1} << ((depth_ - 1) & 63));
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  --depth_;
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  ++depth_;
  has_value_ &= ~(uint64_t{1} << ((depth_ - 1) & 63));
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  --depth_;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Separate();
  AppendJsonString(out_, key);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::PlainKey(std::string_view key) {
  Separate();
  out_.push_back('"');
  out_.append(key);
  out_.append("\":", 2);
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  Separate();
  if (!std::isfinite(value)) {
    out_.append("null");
    return *this;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_.append(json);
  return *this;
}

}  // namespace mxir
