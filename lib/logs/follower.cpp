#include "logs/follower.h"

#include <chrono>
#include <memory>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs/line_source.h"

namespace mxir::logs {
namespace {

// One followed path: the open generation of the file, its reader and its parser stream.
class FollowedFile {
 public:
  FollowedFile(std::string path, size_t max_line) : path_(std::move(path)), max_line_(max_line) {}
  ~FollowedFile() { Close(); }

  // Reads every complete line now available (all lines when `final_pass`); handles rotation.
  // Returns how many lines were read.
  int64_t Poll(Ingester& ingester, bool final_pass) {
    if (fd_ < 0 && !OpenCurrent(ingester)) return 0;
    int64_t n = Drain(final_pass);
    struct stat now;
    if (stat(path_.c_str(), &now) != 0) return n;  // renamed away, new one not there yet
    if (now.st_ino != inode_ || now.st_dev != dev_) {
      // Rotated by rename: finish the old generation, its last line even without a newline.
      n += Drain(true);
      Close();
      if (OpenCurrent(ingester)) n += Drain(final_pass);
    } else if (now.st_size < lseek(fd_, 0, SEEK_CUR)) {
      // Copied and truncated: the same file starts again from its beginning.
      stream_->Finish();
      lseek(fd_, 0, SEEK_SET);
      source_ = LineSource::FromFd(fd_, path_, max_line_);
      stream_ = ingester.OpenStream(path_, "");
      n += Drain(final_pass);
    }
    return n;
  }

  void Close() {
    if (stream_) stream_->Finish();
    stream_.reset();
    source_.reset();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  bool OpenCurrent(Ingester& ingester) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      return false;
    }
    fd_ = fd;
    inode_ = st.st_ino;
    dev_ = st.st_dev;
    source_ = LineSource::FromFd(fd_, path_, max_line_);
    stream_ = ingester.OpenStream(path_, "");
    return true;
  }

  int64_t Drain(bool take_partial) {
    int64_t n = 0;
    std::string_view line;
    while (take_partial ? source_->Next(&line) : source_->NextComplete(&line)) {
      stream_->IngestLine(line, source_->line_number());
      ++n;
    }
    return n;
  }

  std::string path_;
  size_t max_line_;
  int fd_ = -1;
  ino_t inode_ = 0;
  dev_t dev_ = 0;
  std::unique_ptr<LineSource> source_;
  std::unique_ptr<Ingester::Stream> stream_;
};

}  // namespace

Status FollowLogs(const std::vector<std::string>& paths, Ingester& ingester,
                  const FollowOptions& options, const std::atomic<bool>& stop,
                  const std::function<void()>& on_idle) {
  if (paths.empty()) return MakeError(ErrorCode::kUsage, "--follow needs at least one file");
  for (const auto& p : paths) {
    if (p == "-") return MakeError(ErrorCode::kUsage, "--follow cannot follow stdin ('-')");
  }
  std::vector<std::unique_ptr<FollowedFile>> files;
  for (const auto& p : paths) files.push_back(std::make_unique<FollowedFile>(p, options.max_line));
  auto start = std::chrono::steady_clock::now();
  auto expired = [&] {
    if (options.max_seconds <= 0) return false;
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() >= options.max_seconds;
  };
  while (!stop.load() && !expired()) {
    int64_t got = 0;
    for (auto& f : files) got += f->Poll(ingester, false);
    if (got == 0) {
      if (on_idle) on_idle();
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
    }
  }
  for (auto& f : files) {
    f->Poll(ingester, true);
    f->Close();
  }
  if (on_idle) on_idle();
  return Status::Ok();
}

}  // namespace mxir::logs
