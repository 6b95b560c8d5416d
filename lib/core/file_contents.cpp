#include "core/file_contents.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"

namespace mxir {

namespace {

constexpr size_t kHuge = size_t{2} << 20;
constexpr size_t kChunk = 256 * 1024;  // read and hash while the chunk is still in the L2 cache

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Error ReadError(const char* what, const std::string& path, int err) {
  return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                   std::string(what) + " '" + path + "': " + std::strerror(err));
}

}  // namespace

FileContents& FileContents::operator=(FileContents&& o) noexcept {
  if (this != &o) {
    Release();
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    mapped_ = o.mapped_;
    sha256_ = std::move(o.sha256_);
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
    o.mapped_ = false;
  }
  return *this;
}

void FileContents::Release() {
  if (data_ == nullptr) return;
  if (mapped_) {
    ::munmap(data_, capacity_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
}

bool FileContents::Grow(size_t capacity) {
  char* fresh = nullptr;
  bool mapped = false;
  if (capacity >= kHuge) {
    capacity = (capacity + kHuge - 1) / kHuge * kHuge;
    void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    ::madvise(p, capacity, MADV_HUGEPAGE);  // a hint: plain pages where the kernel declines
    fresh = static_cast<char*>(p);
    mapped = true;
  } else {
    fresh = new (std::nothrow) char[capacity];
    if (fresh == nullptr) return false;
  }
  if (size_ > 0) std::memcpy(fresh, data_, size_);
  Release();
  data_ = fresh;
  capacity_ = capacity;
  mapped_ = mapped;
  return true;
}

Result<FileContents> FileContents::Read(const std::string& path) {
  FdCloser f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return ReadError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return ReadError("cannot read", path, errno);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL SHA-256 unavailable");
  }
  FileContents c;
  const size_t expected =
      S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  if (!c.Grow(expected + kPadding + 1)) {
    return MakeError(ErrorCode::kIo, "'" + path + "' does not fit in memory");
  }
  for (;;) {
    if (c.capacity_ - c.size_ < kPadding + 1 && !c.Grow(c.capacity_ * 2)) {
      return MakeError(ErrorCode::kIo, "'" + path + "' does not fit in memory");
    }
    const size_t room = std::min(kChunk, c.capacity_ - c.size_ - kPadding);
    ssize_t n = ::read(f.fd, c.data_ + c.size_, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError("cannot read", path, errno);
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), c.data_ + c.size_, static_cast<size_t>(n));
    c.size_ += static_cast<size_t>(n);
  }
  std::memset(c.data_ + c.size_, 0, kPadding);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  c.sha256_ = HexLower(md, len);
  return c;
}

}  // namespace mxir
