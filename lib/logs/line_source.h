// LineSource: the lines of one log input — a plain file, a gzip file (by its magic bytes, so a
// rotated "maillog.1.gz" and a renamed one both work) or stdin ("-") — with line numbers.
//
// Lines are returned without their "\n" (and a trailing "\r"). A line longer than `max_line`
// bytes is cut at that length and counted (the rest of it is skipped, not returned as a new
// line); bytes are passed through as they are (invalid UTF-8 included: the JSON writer escapes
// it safely). A gzip file that ends early or is damaged ends the source with an error after the
// lines before the damage, so callers keep what was readable. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir::logs {

class ByteReader;  // plain, gzip or stdin bytes (line_source.cpp)

class LineSource {
 public:
  static constexpr size_t kDefaultMaxLine = 64 * 1024;

  // Opens `path` ("-" for stdin). `max_line` bounds each returned line.
  static Result<std::unique_ptr<LineSource>> Open(const std::string& path,
                                                  size_t max_line = kDefaultMaxLine);
  // Reads from an already open descriptor (not closed by the source); for --follow.
  static std::unique_ptr<LineSource> FromFd(int fd, std::string name, size_t max_line);
  ~LineSource();

  // Next line into *line (valid until the next call). False at end of input or on an error
  // (see status()). A final line without "\n" is returned too.
  bool Next(std::string_view* line);

  // Like Next(), but a last line without "\n" is held back (returns false) until its newline
  // arrives, so a line being written by another process is never split (for --follow).
  bool NextComplete(std::string_view* line);

  // The next bytes (up to n) without consuming them, for sniffing a format.
  std::string_view Peek(size_t n);
  // Appends every byte not yet returned (for formats read as a whole document); an error when
  // reading failed (what was read is in *out).
  Status ReadRest(std::string* out);
  // Hashes every byte read from now on (stdin and followed files, which cannot be read twice):
  // sha256_hex() is then the SHA-256 of the bytes read so far, bytes_read() their count.
  void EnableHash();
  std::string sha256_hex() const;
  int64_t bytes_read() const { return bytes_read_; }

  int64_t line_number() const { return line_number_; }  // of the last line returned
  int64_t lines_cut() const { return lines_cut_; }
  int64_t bytes_consumed() const { return consumed_; }  // raw bytes through complete lines
  bool gzip() const { return gzip_; }
  const std::string& name() const { return name_; }
  // Ok, or why reading stopped early (read error, truncated or damaged gzip).
  const Status& status() const { return status_; }

 private:
  LineSource(std::unique_ptr<ByteReader> reader, std::string name, size_t max_line, bool gzip);
  bool Fill();
  bool NextImpl(std::string_view* line, bool allow_partial);

  std::unique_ptr<ByteReader> reader_;
  std::string name_;
  size_t max_line_;
  bool gzip_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // inside the cut-off rest of an over-long line
  int64_t line_number_ = 0, lines_cut_ = 0, consumed_ = 0;
  Status status_;
  struct Hash;
  std::unique_ptr<Hash> hash_;
  int64_t bytes_read_ = 0;
};

}  // namespace mxir::logs
