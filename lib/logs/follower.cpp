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

// One generation of a followed path (one inode): its descriptor, reader and parser stream.
struct Generation {
  int fd = -1;
  ino_t inode = 0;
  dev_t dev = 0;
  std::unique_ptr<LineSource> source;
  std::unique_ptr<Ingester::Stream> stream;
  // The file's first bytes as first read: a copytruncate refilled past our offset between two
  // polls has different ones (its size alone would not tell).
  std::string head;
  std::chrono::steady_clock::time_point last_data;

  ~Generation() { Close(); }
  void Close() {
    FinishStream();
    stream.reset();
    source.reset();
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // Ends the parser stream, with the size and SHA-256 of what was read of this generation for
  // its `sources` record.
  void FinishStream() {
    if (!stream) return;
    stream->SetDigest(source->bytes_read(), source->sha256_hex());
    stream->Finish();
  }
  // At most kMaxLinesPerPoll lines unless `take_partial` (the final pass): a log written faster
  // than it is read must still come back to the poll loop, which commits.
  static constexpr int64_t kMaxLinesPerPoll = 1024;
  int64_t Drain(bool take_partial) {
    int64_t n = 0;
    std::string_view line;
    while ((take_partial || n < kMaxLinesPerPoll) &&
           (take_partial ? source->Next(&line) : source->NextComplete(&line))) {
      stream->IngestLine(line, source->line_number());
      ++n;
    }
    if (n > 0) last_data = std::chrono::steady_clock::now();
    return n;
  }
  std::string ReadHead() const {
    char buf[kHeadBytes];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  static constexpr size_t kHeadBytes = 64;
};

// One followed path: the open generation of the file, and the generations rotated away that
// the writer may still be appending to (syslog keeps writing to the renamed file until it is
// told to reopen), each with its reader and parser stream.
class FollowedFile {
 public:
  FollowedFile(std::string path, size_t max_line, int grace_ms)
      : path_(std::move(path)), max_line_(max_line), grace_(grace_ms) {}
  ~FollowedFile() { Close(); }

  // Reads every complete line now available (all lines when `final_pass`); handles rotation.
  // Returns how many lines were read.
  int64_t Poll(Ingester& ingester, bool final_pass) {
    int64_t n = DrainRetired(final_pass);
    if (!cur_ && !OpenCurrent(ingester)) return n;
    n += cur_->Drain(final_pass);
    if (cur_->head.size() < Generation::kHeadBytes) cur_->head = cur_->ReadHead();
    struct stat now;
    if (stat(path_.c_str(), &now) != 0) return n;  // renamed away, new one not there yet
    if (now.st_ino != cur_->inode || now.st_dev != cur_->dev) {
      // Rotated by rename: the old generation stays open and is read on while it still grows
      // (until it has been quiet for the grace period), so lines written to it after the rename
      // are not lost; the new file is read from its start.
      retired_.push_back(std::move(cur_));
      while (retired_.size() > 4) {
        retired_.front()->Drain(true);
        retired_.erase(retired_.begin());
      }
      if (OpenCurrent(ingester)) n += cur_->Drain(final_pass);
    } else if (now.st_size < lseek(cur_->fd, 0, SEEK_CUR) ||
               (!cur_->head.empty() &&
                cur_->ReadHead().compare(0, cur_->head.size(), cur_->head) != 0)) {
      // Copied and truncated (the file shrank, or was refilled with other first bytes between
      // two polls): the same file starts again from its beginning.
      cur_->FinishStream();
      lseek(cur_->fd, 0, SEEK_SET);
      cur_->source = LineSource::FromFd(cur_->fd, path_, max_line_);
      cur_->source->EnableHash();
      cur_->stream = ingester.OpenStream(path_, "");
      cur_->head = cur_->ReadHead();
      n += cur_->Drain(final_pass);
    }
    return n;
  }

  void Close() {
    for (auto& g : retired_) g->Close();
    retired_.clear();
    if (cur_) cur_->Close();
    cur_.reset();
  }

 private:
  int64_t DrainRetired(bool final_pass) {
    int64_t n = 0;
    auto now = std::chrono::steady_clock::now();
    for (auto it = retired_.begin(); it != retired_.end();) {
      n += (*it)->Drain(final_pass);
      if (final_pass || now - (*it)->last_data >= grace_) {
        n += (*it)->Drain(true);  // its last line, even without a newline
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
    return n;
  }

  bool OpenCurrent(Ingester& ingester) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      return false;
    }
    auto g = std::make_unique<Generation>();
    g->fd = fd;
    g->inode = st.st_ino;
    g->dev = st.st_dev;
    g->source = LineSource::FromFd(fd, path_, max_line_);
    g->source->EnableHash();  // for the generation's `sources` record (what was read of it)
    g->stream = ingester.OpenStream(path_, "");
    g->last_data = std::chrono::steady_clock::now();
    cur_ = std::move(g);
    return true;
  }

  std::string path_;
  size_t max_line_;
  std::chrono::milliseconds grace_;
  std::unique_ptr<Generation> cur_;
  std::vector<std::unique_ptr<Generation>> retired_;
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
  for (const auto& p : paths) {
    files.push_back(std::make_unique<FollowedFile>(p, options.max_line, options.rotated_grace_ms));
  }
  auto start = std::chrono::steady_clock::now();
  auto expired = [&] {
    if (options.max_seconds <= 0) return false;
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() >= options.max_seconds;
  };
  auto last_idle = std::chrono::steady_clock::now();
  const auto commit_every = std::chrono::milliseconds(options.commit_ms);
  while (!stop.load() && !expired()) {
    ingester.RefreshNow();  // "now" moves on (a follower may run over New Year)
    int64_t got = 0;
    for (auto& f : files) got += f->Poll(ingester, false);
    // on_idle commits: after a quiet poll, and at least every commit_ms on a log that never
    // goes quiet (one write transaction must not stay open for the whole busy period).
    auto now = std::chrono::steady_clock::now();
    if (got == 0 || now - last_idle >= commit_every) {
      if (on_idle) on_idle();
      last_idle = std::chrono::steady_clock::now();
    }
    if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
  }
  for (auto& f : files) {
    f->Poll(ingester, true);
    f->Close();
  }
  if (on_idle) on_idle();
  return Status::Ok();
}

}  // namespace mxir::logs
