// FileContents: a whole regular file read into memory in one pass, followed by zero padding
// (parsers such as simdjson read up to 64 bytes past the end), with the SHA-256 of its bytes
// computed during that pass — the provenance hash then costs no second read of the file.
//
// read(), not mmap: a file truncated while it is read cannot raise SIGBUS; it simply ends
// sooner. A file that grows meanwhile is read to its end. Large buffers ask the kernel for
// transparent huge pages (fewer page faults and TLB misses over hundreds of megabytes; plain
// anonymous memory where the kernel declines). Move-only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mxir {

class FileContents {
 public:
  static constexpr size_t kPadding = 64;  // >= simdjson::SIMDJSON_PADDING

  // Reads `path` (a regular file). Errors: it cannot be opened or read.
  static Result<FileContents> Read(const std::string& path);

  FileContents(FileContents&& o) noexcept { *this = std::move(o); }
  FileContents& operator=(FileContents&& o) noexcept;
  FileContents(const FileContents&) = delete;
  FileContents& operator=(const FileContents&) = delete;
  ~FileContents() { Release(); }

  // The bytes read; at least kPadding zero bytes follow them in memory.
  std::string_view view() const { return {data_, size_}; }
  // Lower-case hex SHA-256 of exactly those bytes (as Sha256OfFile gives for the same file).
  const std::string& sha256() const { return sha256_; }

 private:
  FileContents() = default;
  bool Grow(size_t capacity);  // keeps the bytes read; false when out of memory
  void Release();

  char* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;  // capacity_ includes the padding
  bool mapped_ = false;             // mmap'd (huge pages) rather than new[]
  std::string sha256_;
};

}  // namespace mxir
