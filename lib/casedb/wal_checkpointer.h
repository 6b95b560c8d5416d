// WalCheckpointer: copies a bulk writer's WAL back into the case file on a thread and connection
// of its own, so the writer's thread does not stop for it.
//
// SQLite writes each page twice in WAL mode: into the WAL at commit, into the database file at
// a checkpoint. By default the connection that commits runs the checkpoint (wal_autocheckpoint),
// so a bulk load's storing thread stopped, every 256 MB of WAL, to copy them and wait for two
// fdatasyncs. An EventWriter that loads in bulk turns its connection's autocheckpoint off and
// calls Committed() after each commit; once the WAL holds `start_frames` frames, this thread runs
// PASSIVE checkpoints (they never block a writer or a reader) until it has caught up. A
// checkpoint that copied every frame lets the next write transaction start the WAL over, as an
// automatic one does. Crash safety is SQLite's: a checkpoint interrupted by kill -9 is redone
// from the WAL by the next connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "casedb/sqlite.h"

namespace mxir::casedb {

class WalCheckpointer {
 public:
  // `writer` is the bulk writer's connection (its autocheckpoint is replaced by a hook that
  // counts the WAL's frames until the destructor puts `restore_autocheckpoint` back).
  WalCheckpointer(Database& writer, std::string path, int64_t start_frames,
                  int restore_autocheckpoint);
  ~WalCheckpointer();  // waits for a checkpoint under way, ends the thread
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // After each commit on the writer's connection (its thread): wakes the checkpointer when the
  // WAL is long enough. When the checkpointer cannot keep up (the WAL past 4 x start_frames, or
  // the thread or its connection could not be made), checkpoints on the writer's connection, as
  // before, so the WAL stays bounded.
  void Committed();

  int64_t checkpoints() const;  // run by the thread so far (tests)

 private:
  static int Hook(void* self, sqlite3* db, const char* name, int frames);
  void Run();

  Database& writer_;
  const std::string path_;
  const int64_t start_frames_;
  const int restore_;
  int64_t wal_frames_ = 0;  // as of the writer's last commit (writer's thread)
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool wanted_ = false, stop_ = false, failed_ = false;
  int64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace mxir::casedb
