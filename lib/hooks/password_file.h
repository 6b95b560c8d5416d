// PasswordFile: where `mxir reset --password-file OUT` writes the passwords it set.
//
// The file is created before any password changes (mode 0600, O_EXCL and O_NOFOLLOW: never an
// existing file, never through a link), so a password that was set can always be written down.
// Each password is appended and synced to disk as soon as the provider has set it, through the
// descriptor opened at creation (never by name again): a later failure, a crash or a swapped
// path cannot lose or redirect one already written. A file no password went into is removed
// at the end, so a run that changed nothing leaves nothing behind. Nothing is kept in memory.
#pragma once

#include <string>

#include "core/status.h"

namespace mxir::hooks {

class PasswordFile {
 public:
  // Fails with kUsage when `path` exists (it is never overwritten), else kIo.
  static Result<PasswordFile> Create(const std::string& path);
  PasswordFile(PasswordFile&& other) noexcept;
  PasswordFile& operator=(PasswordFile&&) = delete;
  PasswordFile(const PasswordFile&) = delete;
  ~PasswordFile();  // closes; see Finish()

  // One line: "account<TAB>password" when with_account, else the password alone.
  Status Append(const std::string& account, const std::string& password, bool with_account);
  // Closes the file; removes it when nothing was appended. True when it holds passwords.
  bool Finish();
  const std::string& path() const { return path_; }

 private:
  PasswordFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
  bool written_ = false;
};

}  // namespace mxir::hooks
