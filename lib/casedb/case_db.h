// CaseDb: one incident's database file (spec/cli.md "--case FILE").
//
// Create() makes a new case: the file with mode 0600 (SQLite's WAL and shared-memory files take
// the same mode), WAL journaling, the current schema, the case's metadata, and a random
// fingerprint key in its own 0600 file beside it (FILE.key), never inside the database.
// Open() refuses a missing file (with the contract's hint), an empty file, a file that is not an
// SQLite database or not an mxir case, and a case written by a newer mxir; an older case is
// migrated forward. Every error is a clear message with exit status 2, never a crash.
//
// One CaseDb per thread. Several processes may use one case at once: writers wait for each other
// (busy timeout and retry), and committed rows survive a writer killed mid-way.
#pragma once

#include <string>
#include <vector>

#include "casedb/sqlite.h"
#include "core/clock.h"
#include "core/secret_fingerprint.h"
#include "core/status.h"

namespace mxir::casedb {

struct NewCase {
  std::string title;
  std::vector<std::string> domains, ips, accounts;
  std::string tool = "case";  // who created it, for the audit trail
};

class CaseDb {
 public:
  static Result<CaseDb> Create(const std::string& path, const NewCase& info,
                               const Clock& clock = DefaultClock());
  // With `create_if_missing`, a missing file is created (title "created by mxir TOOL").
  static Result<CaseDb> Open(const std::string& path, bool create_if_missing = false,
                             const std::string& tool = "", const Clock& clock = DefaultClock());

  Database& db() { return db_; }
  const std::string& path() const { return path_; }
  std::string key_path() const { return path_ + ".key"; }
  const Clock& clock() const { return *clock_; }

  // The case's fingerprint key (created if it was lost, with a warning left in the audit trail,
  // since older fingerprints then no longer compare).
  Result<SecretFingerprinter> Fingerprinter();

 private:
  CaseDb(Database db, std::string path, const Clock* clock)
      : db_(std::move(db)), path_(std::move(path)), clock_(clock) {}
  static Status Configure(Database& db);

  Database db_;
  std::string path_;
  const Clock* clock_;
};

}  // namespace mxir::casedb
