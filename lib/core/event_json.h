// JSON Lines form of Events (spec/events.md): writing on the hot path with JsonWriter, reading
// with simdjson's On-Demand parser (10 M events must load in seconds).
//
// Reading is strict about types (a string where a number belongs is an error) and lenient about
// presence (unknown fields are ignored, missing optional fields stay unset); only `ts` and `kind`
// are required. Errors name the field. EventReader reuses its buffers: one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"

namespace mxir {

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
