#include "casedb/case_db.h"

#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/case_meta.h"
#include "casedb/schema.h"
#include "core/file_util.h"
#include "core/ip_address.h"
#include "core/process_info.h"
#include "core/version.h"

namespace mxir::casedb {

namespace {

Error NotADatabase(const std::string& path) {
  return MakeError(ErrorCode::kCorrupt,
                   "'" + path + "' is not an mxir case file (it is not an SQLite database)");
}

// Checks what stat() can tell, so that a missing, empty, special or foreign file gets a clear
// message, not SQLite's. No descriptor is opened on the case file here: closing any descriptor
// of a file drops every POSIX lock this process holds on it, including the locks of a case
// connection already open in the same process (SQLite's WAL locks), which then lets another
// process's commit be overwritten. Whether the bytes are an SQLite database is asked of SQLite
// itself (SQLITE_NOTADB on the first statement, see CaseDb::Open).
Status CheckHeader(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, "'" + path +
                                                 "': no such case — create it with mxir case new "
                                                 "--case '" +
                                                 path + "' --title TEXT");
    }
    return MakeError(ErrorCode::kIo, "cannot open case '" + path + "': " + ErrnoText(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is a directory, not a case file");
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is not a regular file (a FIFO or device?), not a case file");
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return MakeError(ErrorCode::kIo, "cannot open case '" + path + "': " + ErrnoText(errno));
  }
  if (st.st_size == 0) {
    return MakeError(ErrorCode::kCorrupt,
                     "'" + path + "' is empty, not a case file (make one with mxir case new)");
  }
  if (st.st_size < 512) {  // smaller than SQLite's smallest page: no database
    return NotADatabase(path);
  }
  return Status::Ok();
}

Result<int64_t> ReadApplicationId(Database& db) {
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "PRAGMA application_id"));
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

}  // namespace

Status CaseDb::Configure(Database& db) {
  MXIR_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  MXIR_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = NORMAL"));
  return Status::Ok();
}

Result<CaseDb> CaseDb::Create(const std::string& path, const NewCase& info, const Clock& clock) {
  if (info.title.empty()) return MakeError(ErrorCode::kUsage, "a case needs a --title");
  // Validate assets before touching the disk.
  for (const auto& ip : info.ips) {
    if (!IpAddress::Parse(ip) && !IpNetwork::Parse(ip).ok()) {
      return MakeError(ErrorCode::kInvalidInput, "--ip '" + ip + "' is not an IP address");
    }
  }
  std::string key_path = path + ".key";
  // Checked before anything is created: the key of another case is never touched (it is what
  // makes that case's fingerprints compare).
  if (FileExists(key_path)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + key_path +
                         "' already exists (the key of an older or renamed case?); move it away "
                         "first, or choose another case name");
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return MakeError(ErrorCode::kInvalidInput,
                       "'" + path + "' already exists; open it with --case, or choose a new name");
    }
    return MakeError(ErrorCode::kIo, "cannot create '" + path + "': " + ErrnoText(errno));
  }
  ::fchmod(fd, 0600);  // whatever the umask said
  ::close(fd);
  bool key_created = false;
  auto cleanup = [&](const Error& e) -> Error {
    ::unlink(path.c_str());
    ::unlink((path + "-wal").c_str());
    ::unlink((path + "-shm").c_str());
    if (key_created) ::unlink(key_path.c_str());  // only a key this call made
    return e;
  };
  auto db = Database::Open(path);
  if (!db.ok()) return cleanup(db.error());
  // 16 KiB pages: events are a few hundred bytes each, and bulk loads then need a quarter of the
  // page writes. (Must be set before the first table and before WAL.)
  Status s = db->Exec("PRAGMA page_size = 16384");
  if (s.ok()) s = db->Exec("PRAGMA journal_mode = WAL");
  if (s.ok()) s = db->Exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  if (s.ok()) s = Configure(*db);
  if (s.ok()) s = MigrateToCurrent(*db);
  if (!s.ok()) return cleanup(s.error());
  if (Status k = SecretFingerprinter::CreateKeyFile(key_path); !k.ok()) return cleanup(k.error());
  key_created = true;

  CaseDb c(std::move(db).value(), path, &clock);
  {
    Transaction tx(c.db_);
    s = tx.Begin();
    CaseMeta meta(c);
    if (s.ok()) s = meta.Set("title", info.title);
    if (s.ok()) s = meta.Set("created", clock.Now().ToString());
    if (s.ok()) s = meta.Set("created_by", CurrentActor());
    if (s.ok()) s = meta.Set("mxir_version", MXIR_VERSION);
    AssetStore assets(c);
    for (const auto& d : info.domains) {
      if (s.ok()) s = assets.Add(AssetKind::kDomain, d, "", "case new").status();
    }
    for (const auto& ip : info.ips) {
      AssetKind kind = IpAddress::Parse(ip) ? AssetKind::kIp : AssetKind::kNetwork;
      if (s.ok()) s = assets.Add(kind, ip, "", "case new").status();
    }
    for (const auto& a : info.accounts) {
      if (s.ok()) s = assets.Add(AssetKind::kAccount, a, "", "case new").status();
    }
    if (s.ok()) {
      ActionLog log(c);
      s = log.Record(info.tool, path, "create case", "ok",
                     {{"title", info.title},
                      {"domains", info.domains},
                      {"ips", info.ips},
                      {"accounts", info.accounts}});
    }
    if (s.ok()) s = tx.Commit();
  }
  if (!s.ok()) return cleanup(s.error());
  return c;
}

Result<CaseDb> CaseDb::Open(const std::string& path, bool create_if_missing,
                            const std::string& tool, const Clock& clock) {
  if (create_if_missing && !FileExists(path)) {
    NewCase info;
    info.title = "created by mxir " + (tool.empty() ? std::string("tool") : tool);
    info.tool = tool.empty() ? "case" : tool;
    auto created = Create(path, info, clock);
    // A concurrent creator may have won the race; then open theirs.
    if (created.ok() || !FileExists(path)) return created;
  }
  MXIR_RETURN_IF_ERROR(CheckHeader(path));
  MXIR_ASSIGN_OR_RETURN(Database db, Database::Open(path));
  auto app = ReadApplicationId(db);
  if (!app.ok() && app.error().message.find("file is not a database") != std::string::npos) {
    return NotADatabase(path);
  }
  if (!app.ok()) {
    return MakeError(ErrorCode::kCorrupt,
                     "'" + path + "' is damaged or not a case file: " + app.error().message);
  }
  if (*app != kApplicationId) {
    return MakeError(ErrorCode::kCorrupt,
                     "'" + path + "' is an SQLite database but not an mxir case file");
  }
  MXIR_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
  if (version > CurrentSchemaVersion()) {
    return MakeError(ErrorCode::kVersion,
                     "'" + path + "' was written by a newer mxir (case schema " +
                         std::to_string(version) + ", this mxir " MXIR_VERSION " knows up to " +
                         std::to_string(CurrentSchemaVersion()) +
                         "); open it with that version or upgrade mxir");
  }
  MXIR_RETURN_IF_ERROR(Configure(db));
  if (version < CurrentSchemaVersion()) {
    if (Status s = MigrateToCurrent(db); !s.ok()) {
      return s.error().WithContext("upgrading case '" + path + "' from schema " +
                                   std::to_string(version));
    }
    CaseDb c(std::move(db), path, &clock);
    ActionLog log(c);
    MXIR_RETURN_IF_ERROR(log.Record(tool.empty() ? "case" : tool, path, "upgrade case schema", "ok",
                                    {{"from", version}, {"to", CurrentSchemaVersion()}}));
    return c;
  }
  return CaseDb(std::move(db), path, &clock);
}

Result<SecretFingerprinter> CaseDb::Fingerprinter() {
  if (!FileExists(key_path())) {
    MXIR_RETURN_IF_ERROR(SecretFingerprinter::CreateKeyFile(key_path()));
    ActionLog log(*this);
    MXIR_RETURN_IF_ERROR(log.Record("case", key_path(), "create fingerprint key", "warning",
                                    {{"why",
                                      "the key file was missing; fingerprints recorded "
                                      "before this no longer compare with new ones"}}));
  }
  return SecretFingerprinter::FromKeyFile(key_path(), /*check_owner=*/false);
}

}  // namespace mxir::casedb
