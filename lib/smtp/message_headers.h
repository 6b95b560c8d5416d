// MessageHeaderParser: collects the top-level header block of a message body fed line by line
// (after dot-unstuffing), the way Zeek's MIME analyser presents it to its SMTP scripts.
//
// A header is "Name: value"; continuation lines (starting with a blank) are appended with the
// line break removed and their blanks kept; leading blanks of the value are dropped. The block
// ends at the first empty line. A single header longer than `max_header_bytes` is dropped and
// counted (Zeek's exceeded_mime_max_header_bytes, which applies per header); headers of MIME parts
// and attached messages are never seen because only the first block is parsed. Completed
// headers are handed out through completed().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mxir::smtp {

struct MessageHeader {
  std::string name;  // upper case, as Zeek's mime_header_rec$name
  std::string value;
};

class MessageHeaderParser {
 public:
  explicit MessageHeaderParser(size_t max_header_bytes) : max_bytes_(max_header_bytes) {}

  // One line of the message, without its line break.
  void OnLine(std::string_view line);
  // End of the message (or of what was seen of it).
  void Finish();

  bool in_headers() const { return in_headers_; }
  // Headers dropped for their size so far.
  int oversized() const { return oversized_; }
  // Moves the completed headers out (in message order).
  std::vector<MessageHeader>& completed() { return completed_; }

 private:
  void Complete();

  size_t max_bytes_;
  bool in_headers_ = true;
  bool have_current_ = false;
  int oversized_ = 0;
  MessageHeader current_;
  std::vector<MessageHeader> completed_;
};

}  // namespace mxir::smtp
