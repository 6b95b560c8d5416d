// LineSplitter: cuts one direction of an SMTP byte stream into lines, without copying when a
// line lies wholly inside the caller's buffer.
//
// A line ends at LF; the LF and any CRs before it are removed (Zeek accepts /\r*\n/ as the line
// end). Lines longer than the limit are cut: the first `max_line` bytes are returned with
// `truncated` set and the rest up to the LF is dropped. The caller may stop taking lines at any
// point and consume the remaining bytes itself (BDAT chunks): Next() only consumes up to and
// including the LF of the line it returns. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mxir::smtp {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  // Consumes bytes from [*pos, end). Returns true when a line is complete: `*line` is valid until
  // the next call (it may point into the caller's buffer). Returns false when all input was
  // consumed and the line is still open (its bytes are kept).
  bool Next(const uint8_t** pos, const uint8_t* end, std::string_view* line, bool* truncated);

  // The bytes of the unfinished line, given as a line (used at the end of a stream).
  bool TakePartial(std::string_view* line);
  // Drops an unfinished line (after a gap).
  void Reset();
  // Overwrites the internal copy of the line last returned, if there is one (AUTH secrets).
  void WipeLast();
  bool has_partial() const { return (!partial_.empty() && !returned_) || discarding_; }

 private:
  size_t max_line_;
  std::string partial_;
  bool discarding_ = false;  // the current line passed the limit; drop bytes until LF
  bool returned_ = false;    // partial_ was handed out as a line; clear it on the next call
};

}  // namespace mxir::smtp
