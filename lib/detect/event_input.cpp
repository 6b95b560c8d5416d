#include "detect/event_input.h"

#include "core/event_json.h"

namespace mxir::detect {

Status ReadEventsJsonl(std::istream& in, const JsonlInput& opts,
                       const std::function<void(const Event&)>& fn, Counters* counters,
                       std::vector<std::string>* first_errors) {
  EventReader reader;
  Event e;
  std::string line;
  int64_t number = 0;
  auto note = [&](const std::string& why) {
    if (first_errors && first_errors->size() < 5) {
      first_errors->push_back(opts.name + ":" + std::to_string(number) + ": " + why);
    }
  };
  while (std::getline(in, line)) {
    ++number;
    counters->Add("lines");
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.size() > opts.max_line_bytes) {
      counters->Add("skipped.line_too_long");
      note("line longer than " + std::to_string(opts.max_line_bytes) + " bytes");
      continue;
    }
    Status st = reader.Parse(line, &e);
    if (!st.ok()) {
      counters->Add("skipped.bad_event");
      note(st.error().message);
      continue;
    }
    if ((opts.since && e.ts < *opts.since) || (opts.until && e.ts >= *opts.until)) {
      counters->Add("outside_time_range");
      continue;
    }
    fn(e);
  }
  if (in.bad()) {
    return MakeError(ErrorCode::kIo,
                     "reading " + opts.name + " failed after line " + std::to_string(number));
  }
  return Status::Ok();
}

}  // namespace mxir::detect
