#include "casedb/wal_checkpointer.h"

#include <system_error>
#include <utility>

#include "core/thread_priority.h"

namespace mxir::casedb {

WalCheckpointer::WalCheckpointer(Database& writer, std::string path, int64_t start_frames,
                                 int restore_autocheckpoint)
    : writer_(writer),
      path_(std::move(path)),
      start_frames_(start_frames),
      restore_(restore_autocheckpoint) {
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::Hook, this);
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  sqlite3_wal_autocheckpoint(writer_.handle(), restore_);  // the default hook again
}

int64_t WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

int WalCheckpointer::Hook(void* self, sqlite3*, const char*, int frames) {
  static_cast<WalCheckpointer*>(self)->wal_frames_ = frames;
  return SQLITE_OK;
}

void WalCheckpointer::Committed() {
  if (wal_frames_ < start_frames_) return;
  bool inline_checkpoint = wal_frames_ >= 4 * start_frames_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inline_checkpoint = inline_checkpoint || failed_;
    if (!inline_checkpoint) {
      wanted_ = true;
      if (!thread_.joinable()) {
        try {
          thread_ = std::thread([this] { Run(); });
        } catch (const std::system_error&) {
          failed_ = true;
          inline_checkpoint = true;
        }
      }
    }
  }
  if (inline_checkpoint) {
    // What the automatic checkpoint did (its errors are not the commit's either).
    (void)sqlite3_wal_checkpoint_v2(writer_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
    return;
  }
  wake_.notify_one();
}

void WalCheckpointer::Run() {
  // Copying the WAL back is background work: the storing thread (the writer) sets the load's
  // running time, so this thread yields its core to it (thread_priority.h).
  RunInBackground();
  Result<Database> db = Database::Open(path_);
  if (!db.ok() || !db->Exec("PRAGMA synchronous = NORMAL").ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    failed_ = true;
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || wanted_; });
    if (stop_) return;
    wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what is committed, never waits for the writer; SQLITE_BUSY (another
    // connection is checkpointing) is fine, the next commit asks again.
    (void)sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
    lock.lock();
    ++checkpoints_;
  }
}

}  // namespace mxir::casedb
