#include "core/file_sha256.h"

#include <cerrno>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/hex.h"
#include "core/thread_priority.h"

namespace mxir {

struct FileSha256::State {
  int fd = -1;
  EVP_MD_CTX* ctx = nullptr;
  bool started = false, done = false;
  Status error = Status::Ok();
  std::string hex;
  ~State() {
    if (fd >= 0) ::close(fd);
    if (ctx) EVP_MD_CTX_free(ctx);
  }
};

FileSha256::FileSha256(std::string path) : path_(std::move(path)), s_(std::make_unique<State>()) {}

FileSha256::~FileSha256() = default;

bool FileSha256::Run(const std::atomic<bool>* stop) {
  State& s = *s_;
  if (s.done) return true;
  if (!s.started) {
    s.started = true;
    s.fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (s.fd < 0) {
      s.error = FileError("open", path_, errno);
      s.done = true;
      return true;
    }
    s.ctx = EVP_MD_CTX_new();
    if (!s.ctx || EVP_DigestInit_ex(s.ctx, EVP_sha256(), nullptr) != 1) {
      s.error = MakeError(ErrorCode::kInternal, "OpenSSL SHA-256 unavailable");
      s.done = true;
      return true;
    }
  }
  // 64 KiB stays in the L2 cache between the kernel's copy and the digest; a 1 MiB buffer made
  // hashing ~40 % slower while another thread (mxir capture's packet loop) used the caches too.
  // read() rather than mmap: as fast here, and a file truncated meanwhile cannot raise SIGBUS.
  constexpr size_t kChunk = 64 * 1024;
  std::unique_ptr<char[]> buf(new char[kChunk]);
  for (;;) {
    if (stop && stop->load(std::memory_order_relaxed)) return false;
    ssize_t n = ::read(s.fd, buf.get(), kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      s.error = FileError("read", path_, errno);
      s.done = true;
      return true;
    }
    if (n == 0) break;
    EVP_DigestUpdate(s.ctx, buf.get(), static_cast<size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(s.ctx, md, &len);
  s.hex = HexLower(md, len);
  s.done = true;
  return true;
}

Result<std::string> FileSha256::Hash() const {
  if (!s_->done)
    return MakeError(ErrorCode::kInternal, "the hash of '" + path_ + "' is unfinished");
  if (!s_->error.ok()) return s_->error.error();
  return s_->hex;
}

BackgroundSha256::BackgroundSha256(std::vector<std::string> paths) {
  for (auto& p : paths) hashes_.push_back(std::make_unique<FileSha256>(std::move(p)));
  try {
    thread_ = std::thread([this] {
      RunInBackground();  // off the hot path in priority too
      if (HashFrom(0, &stop_)) ready_.store(true, std::memory_order_release);
    });
  } catch (const std::system_error&) {
    // No second thread: FinishAll() hashes them all.
  }
}

BackgroundSha256::~BackgroundSha256() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

bool BackgroundSha256::HashFrom(size_t i, const std::atomic<bool>* stop) {
  for (; i < hashes_.size(); ++i) {
    if (!hashes_[i]->Run(stop)) {
      next_ = i;  // stopped in the middle of this one
      return false;
    }
  }
  next_ = hashes_.size();
  return true;
}

void BackgroundSha256::FinishAll() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();  // it stops between two reads, or has finished
  if (ready()) return;
  (void)HashFrom(next_, nullptr);  // the rest, on this thread
  ready_.store(true, std::memory_order_release);
}

}  // namespace mxir
