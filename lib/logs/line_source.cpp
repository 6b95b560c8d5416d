#include "logs/line_source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/file_util.h"
#include "core/hex.h"

namespace mxir::logs {

// Where the bytes come from. Read() returns 0 at the end of what is there now.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual Result<size_t> Read(char* out, size_t n) = 0;
};

namespace {

constexpr size_t kChunk = 1 << 20;

class FdReader final : public ByteReader {
 public:
  FdReader(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FdReader() override {
    if (owned_) close(fd_);
  }
  Result<size_t> Read(char* out, size_t n) override {
    for (;;) {
      ssize_t got = read(fd_, out, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, "read failed: " + ErrnoText(errno));
    }
  }

 private:
  int fd_;
  bool owned_;
};

// gzip (and concatenated gzip members, as `cat a.gz b.gz` makes) through zlib's inflate.
class GzipReader final : public ByteReader {
 public:
  explicit GzipReader(int fd) : raw_(fd, true), in_(kChunk, '\0') {
    std::memset(&z_, 0, sizeof(z_));
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipReader() override { inflateEnd(&z_); }

  Result<size_t> Read(char* out, size_t n) override {
    if (!ok_) return MakeError(ErrorCode::kInternal, "zlib initialisation failed");
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out == n) {
      if (z_.avail_in == 0) {
        if (raw_eof_) {
          if (in_member_) {
            return MakeError(ErrorCode::kInvalidInput,
                             "truncated gzip data (the file ends inside a compressed member)");
          }
          break;
        }
        auto got = raw_.Read(in_.data(), in_.size());
        if (!got.ok()) return got.error();
        if (*got == 0) {
          raw_eof_ = true;
          continue;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(*got);
      }
      in_member_ = true;
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        if (inflateReset(&z_) != Z_OK) return MakeError(ErrorCode::kInternal, "inflateReset");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return MakeError(ErrorCode::kInvalidInput,
                         std::string("damaged gzip data: ") + (z_.msg ? z_.msg : "inflate error"));
      }
    }
    return n - z_.avail_out;
  }

 private:
  FdReader raw_;
  std::string in_;
  z_stream z_;
  bool ok_ = false, raw_eof_ = false, in_member_ = false;
};

}  // namespace

struct LineSource::Hash {
  Hash() : ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Hash() { EVP_MD_CTX_free(ctx); }
  EVP_MD_CTX* ctx;
};

LineSource::LineSource(std::unique_ptr<ByteReader> reader, std::string name, size_t max_line,
                       bool gzip)
    : reader_(std::move(reader)), name_(std::move(name)), max_line_(max_line), gzip_(gzip) {
  buf_.resize(std::max(kChunk, max_line_ + kChunk));
}

LineSource::~LineSource() = default;

Result<std::unique_ptr<LineSource>> LineSource::Open(const std::string& path, size_t max_line) {
  if (max_line == 0) max_line = kDefaultMaxLine;
  if (path == "-") {
    return std::unique_ptr<LineSource>(
        new LineSource(std::make_unique<FdReader>(0, false), "-", max_line, false));
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return MakeError(err == ENOENT   ? ErrorCode::kNotFound
                     : err == EACCES ? ErrorCode::kInvalidInput
                                     : ErrorCode::kIo,
                     "cannot open '" + path + "': " + ErrnoText(err) +
                         (err == ENOENT ? " (check the file name)" : ""));
  }
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return MakeError(ErrorCode::kInvalidInput,
                     "cannot read '" + path + "': it is a directory (give a log file)");
  }
  unsigned char magic[2] = {0, 0};
  ssize_t got = pread(fd, magic, 2, 0);
  bool gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  std::unique_ptr<ByteReader> reader;
  if (gzip) {
    reader = std::make_unique<GzipReader>(fd);
  } else {
    reader = std::make_unique<FdReader>(fd, true);
  }
  return std::unique_ptr<LineSource>(new LineSource(std::move(reader), path, max_line, gzip));
}

std::unique_ptr<LineSource> LineSource::FromFd(int fd, std::string name, size_t max_line) {
  if (max_line == 0) max_line = kDefaultMaxLine;
  return std::unique_ptr<LineSource>(
      new LineSource(std::make_unique<FdReader>(fd, false), std::move(name), max_line, false));
}

bool LineSource::Fill() {
  if (!status_.ok()) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  auto got = reader_->Read(buf_.data() + end_, buf_.size() - end_);
  if (!got.ok()) {
    status_ = got.error().WithContext("'" + name_ + "'");
    return false;
  }
  if (hash_) EVP_DigestUpdate(hash_->ctx, buf_.data() + end_, *got);
  bytes_read_ += static_cast<int64_t>(*got);
  end_ += *got;
  return *got > 0;
}

std::string_view LineSource::Peek(size_t n) {
  n = std::min(n, buf_.size() / 2);
  while (end_ - begin_ < n && Fill()) {
  }
  return std::string_view(buf_.data() + begin_, std::min(n, end_ - begin_));
}

Status LineSource::ReadRest(std::string* out) {
  out->append(buf_.data() + begin_, end_ - begin_);
  consumed_ += static_cast<int64_t>(end_ - begin_);
  begin_ = end_ = 0;
  if (!status_.ok()) return status_;
  std::string chunk(kChunk, '\0');
  for (;;) {
    auto got = reader_->Read(chunk.data(), chunk.size());
    if (!got.ok()) {
      status_ = got.error().WithContext("'" + name_ + "'");
      return status_;
    }
    if (*got == 0) break;
    out->append(chunk.data(), *got);
    if (hash_) EVP_DigestUpdate(hash_->ctx, chunk.data(), *got);
    bytes_read_ += static_cast<int64_t>(*got);
    consumed_ += static_cast<int64_t>(*got);
  }
  return Status::Ok();
}

void LineSource::EnableHash() {
  if (!hash_) hash_ = std::make_unique<Hash>();
}

std::string LineSource::sha256_hex() const {
  if (!hash_) return "";
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, hash_->ctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(copy, md, &len);
  EVP_MD_CTX_free(copy);
  return HexLower(md, len);
}

bool LineSource::Next(std::string_view* line) { return NextImpl(line, true); }
bool LineSource::NextComplete(std::string_view* line) { return NextImpl(line, false); }

bool LineSource::NextImpl(std::string_view* line, bool allow_partial) {
  for (;;) {
    const char* base = buf_.data();
    const char* nl = static_cast<const char*>(std::memchr(base + begin_, '\n', end_ - begin_));
    if (nl != nullptr) {
      size_t stop = nl - base;
      consumed_ += static_cast<int64_t>(stop + 1 - begin_);
      if (skipping_) {  // the end of an over-long line that was already returned, cut
        skipping_ = false;
        begin_ = stop + 1;
        continue;
      }
      size_t len = stop - begin_;
      if (len > 0 && base[stop - 1] == '\r') --len;
      if (len > max_line_) {
        len = max_line_;
        ++lines_cut_;
      }
      *line = std::string_view(base + begin_, len);
      begin_ = stop + 1;
      ++line_number_;
      return true;
    }
    size_t pending = end_ - begin_;
    if (skipping_) {
      consumed_ += static_cast<int64_t>(pending);
      begin_ = end_;
    } else if (pending >= max_line_) {
      // Over-long: return its first max_line_ bytes now and drop the rest up to the newline.
      *line = std::string_view(base + begin_, max_line_);
      consumed_ += static_cast<int64_t>(pending);
      begin_ = end_;
      skipping_ = true;
      ++lines_cut_;
      ++line_number_;
      return true;
    }
    if (Fill()) continue;
    // Nothing more for now (end of file, or an error in status()).
    pending = end_ - begin_;
    if (pending > 0 && allow_partial && !skipping_) {
      *line = std::string_view(buf_.data() + begin_, pending);
      consumed_ += static_cast<int64_t>(pending);
      begin_ = end_;
      ++line_number_;
      return true;
    }
    return false;
  }
}

}  // namespace mxir::logs
