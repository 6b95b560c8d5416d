// JSON Lines form of Events (spec/events.md): writing on the hot path with raw pointers, reading
// with simdjson's On-Demand parser (10 M events must load in seconds).
//
// Reading is strict about types (a string where a number belongs is an error) and lenient about
// presence (unknown fields are ignored, missing optional fields stay unset); only `ts` and `kind`
// are required. Errors name the field. EventReader reuses its buffers: one per thread.
#pragma once

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/json_writer.h"
#include "core/status.h"

namespace mxir {

// EventJsonBuffer: a growing byte buffer that Events are written into as JSON with raw
// pointers — room is made per field for its worst case, then no per-byte capacity checks and
// no separator state ("ts" always comes first, so every other field starts with ','). The
// JSON Lines sinks of capture and ingest write straight into one (no copy per event).
class EventJsonBuffer {
 public:
  // Makes room for `n` more bytes.
  void Room(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Grow(n);
  }
  void Clear() { p_ = data_.get(); }
  size_t size() const { return static_cast<size_t>(p_ - data_.get()); }
  bool empty() const { return p_ == data_.get(); }
  std::string_view View() const { return {data_.get(), size()}; }

  template <size_t N>
  void Lit(const char (&s)[N]) {  // room must have been made
    std::memcpy(p_, s, N - 1);
    p_ += N - 1;
  }
  template <size_t N>
  void Str(const char (&key)[N], std::string_view v) {
    if (v.empty()) return;
    StrAlways(key, v);
  }
  template <size_t N>
  void StrAlways(const char (&key)[N], std::string_view v) {
    Room(N + JsonStringBound(v.size()));
    Lit(key);
    p_ = WriteJsonString(p_, v);
  }
  template <size_t N>
  void Int(const char (&key)[N], int64_t v) {
    Room(N + 24);
    Lit(key);
    p_ = std::to_chars(p_, p_ + 24, v).ptr;
  }
  template <size_t N>
  void Double(const char (&key)[N], double v) {
    Room(N + 32);
    Lit(key);
    if (!std::isfinite(v)) {
      Lit("null");
    } else {
      p_ = std::to_chars(p_, p_ + 32, v).ptr;
    }
  }
  template <size_t N>
  void Bool(const char (&key)[N], bool v) {
    Room(N + 5);
    Lit(key);
    if (v) {
      Lit("true");
    } else {
      Lit("false");
    }
  }
  template <size_t N>
  void List(const char (&key)[N], const std::vector<std::string>& items) {
    Room(N + 2);
    Lit(key);
    *p_++ = '[';
    for (size_t i = 0; i < items.size(); ++i) {
      Room(1 + JsonStringBound(items[i].size()) + 1);
      if (i > 0) *p_++ = ',';
      p_ = WriteJsonString(p_, items[i]);
    }
    Room(1);
    *p_++ = ']';
  }
  // An object of string values, in the given order (mailbox_change parameters).
  template <size_t N>
  void Pairs(const char (&key)[N], const std::vector<std::pair<std::string, std::string>>& items) {
    Room(N + 2);
    Lit(key);
    *p_++ = '{';
    for (size_t i = 0; i < items.size(); ++i) {
      Room(1 + JsonStringBound(items[i].first.size()) + 1 +
           JsonStringBound(items[i].second.size()));
      if (i > 0) *p_++ = ',';
      p_ = WriteJsonString(p_, items[i].first);
      *p_++ = ':';
      p_ = WriteJsonString(p_, items[i].second);
    }
    Room(1);
    *p_++ = '}';
  }
  void Char(char c) {
    Room(1);
    *p_++ = c;
  }

 private:
  void Grow(size_t n);

  std::unique_ptr<char[]> data_ = std::make_unique<char[]>(4096);
  char* p_ = data_.get();
  char* end_ = data_.get() + 4096;
};

// Writes the event as one JSON object (no newline) at the end of `out`.
void WriteEventJson(EventJsonBuffer& out, const Event& event);
// Appends the event as one JSON object (no newline).
void AppendEventJson(std::string& out, const Event& event);
std::string EventToJson(const Event& event);

class EventReader {
 public:
  EventReader();
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Parses one JSON object (one line of JSON Lines) into `event` (reset first).
  Status Parse(std::string_view json, Event* event);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxir
