// JsonWriter: a small, fast streaming JSON writer appending to a std::string.
//
// Used on hot paths (millions of Events as JSON Lines) where building a DOM would cost too much.
// Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are replaced by U+FFFD, so
// output is always valid JSON in UTF-8 whatever a hostile peer sent. Doubles are written with the
// shortest round-trip form; NaN and infinities become null. Not thread-safe (one writer, one
// thread). Misuse (a value without a key inside an object) is a programming error, not checked
// beyond debug asserts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mxir {

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view s);

// Writes `s` as a quoted, escaped JSON string at `dst`, which must have room for
// JsonStringBound(s.size()) bytes; returns the end of what was written.
char* WriteJsonString(char* dst, std::string_view s);
constexpr size_t JsonStringBound(size_t n) { return 6 * n + 2; }

// True when `s` is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool IsValidUtf8(std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  // A key known to need no escaping (plain ASCII, no quote, backslash or control character),
  // e.g. a field name written in the source: skips the escaping scan on hot paths.
  JsonWriter& PlainKey(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A pre-serialised JSON value, inserted as it is.
  JsonWriter& Raw(std::string_view json);

  // A value by its C++ type (after Key/PlainKey, or in an array).
  JsonWriter& Value(std::string_view v) { return String(v); }
  JsonWriter& Value(const char* v) { return String(v); }
  JsonWriter& Value(int64_t v) { return Int(v); }
  JsonWriter& Value(int v) { return Int(v); }
  JsonWriter& Value(uint64_t v) { return Uint(v); }
  JsonWriter& Value(double v) { return Double(v); }
  JsonWriter& Value(bool v) { return Bool(v); }

  // key + value in one call.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, int value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, uint64_t value) { return Key(key).Uint(value); }
  JsonWriter& Field(std::string_view key, double value) { return Key(key).Double(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }

 private:
  void Separate();

  std::string& out_;
  // One bit per nesting level: does the container at that depth already hold a value?
  uint64_t has_value_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace mxir
