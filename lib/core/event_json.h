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

// EventMember: one top-level member of Event by its JSON name, for readers of another encoding
// of the same members (the case's compact rest): find it once by name, then set values straight
// from text, with no JSON built or parsed. Only members the JSON reader takes without any
// conversion have a direct setter — text, whole numbers, booleans, lists of text — and the
// value set must be what that JSON would hold (text without escapes); for any other member or
// value use EventReader::ParseMember, which reads the value's JSON.
class EventMember {
 public:
  enum class Type : uint8_t { kOther, kText, kInt, kBool, kList };

  static EventMember Find(std::string_view name);
  Type type() const { return type_; }

  void SetText(Event* e, std::string_view v) const { (e->*text_).assign(v); }
  void SetInt(Event* e, int64_t v) const {
    if (int32_) {
      e->*int32_ = static_cast<int>(v);
    } else {
      e->*int64_ = v;
    }
  }
  void SetBool(Event* e, bool v) const { e->*bool_ = v; }
  std::vector<std::string>& List(Event* e) const { return e->*list_; }

 private:
  Type type_ = Type::kOther;
  std::string Event::*text_ = nullptr;
  std::optional<int64_t> Event::*int64_ = nullptr;
  std::optional<int> Event::*int32_ = nullptr;
  std::optional<bool> Event::*bool_ = nullptr;
  std::vector<std::string> Event::*list_ = nullptr;
};

class EventReader {
 public:
  EventReader();
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Parses one JSON object (one line of JSON Lines) into `event` (reset first).
  Status Parse(std::string_view json, Event* event);
  // Reads one member, `name` with the JSON text `json_value`, into `event` (not reset first),
  // exactly as Parse reads it inside an object; "ts" and "kind" are read too (Parse's check
  // that both are present is the caller's).
  Status ParseMember(std::string_view name, std::string_view json_value, Event* event);

 private:
  // Parses the object in impl_->buffer into `event`, field by field.
  Status ParseBuffered(Event* event, bool* have_ts, bool* have_kind);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxir
