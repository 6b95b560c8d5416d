#include "detect/event_input.h"

#include "core/event_json.h"

namespace mxir::detect {
namespace {

// One line of `in` into `line`, newline dropped, keeping at most max_bytes + 1 bytes: the rest
// of a longer line is read and thrown away (*too_long), so a line without an end never holds
// more than that in memory. False at the end of input with nothing read.
bool ReadBoundedLine(std::istream& in, std::string& line, size_t max_bytes, bool* too_long) {
  line.clear();
  *too_long = false;
  char buf[64 * 1024];
  bool any = false;
  for (;;) {
    in.getline(buf, sizeof buf);
    if (in.bad()) return false;
    auto got = static_cast<size_t>(in.gcount());
    bool eof = in.eof();
    bool more = in.fail() && !eof;  // the buffer filled up: the line goes on
    // gcount counts the newline when getline took it (never stored): not when the buffer
    // filled or the input ended.
    size_t stored = more || eof ? got : got - 1;
    if (got == 0 && eof && !any) return false;  // end of input
    any = true;
    if (!*too_long && line.size() + stored > max_bytes) {
      *too_long = true;
      std::string().swap(line);
    } else if (!*too_long) {
      line.append(buf, stored);
    }
    if (!more) {
      if (!eof) in.clear();
      return true;
    }
    in.clear();
  }
}

}  // namespace

Status ReadEventsJsonl(std::istream& in, const JsonlInput& opts,
                       const std::function<void(const Event&)>& fn, Counters* counters,
                       std::vector<std::string>* first_errors) {
  EventReader reader;
  Event e;
  std::string line;
  bool too_long = false;
  int64_t number = 0;
  auto note = [&](const std::string& why) {
    if (first_errors && first_errors->size() < 5) {
      first_errors->push_back(opts.name + ":" + std::to_string(number) + ": " + why);
    }
  };
  while (ReadBoundedLine(in, line, opts.max_line_bytes, &too_long)) {
    ++number;
    counters->Add("lines");
    if (too_long) {
      counters->Add("skipped.line_too_long");
      note("line longer than " + std::to_string(opts.max_line_bytes) + " bytes");
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
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
