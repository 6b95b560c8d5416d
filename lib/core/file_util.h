// Small file helpers over POSIX: whole-file reads, private (0600) creation, atomic replacement,
// and SHA-256 of a file. Errors carry the path and the OS's reason.
#pragma once

#include <string>

#include <sys/types.h>

#include "core/status.h"

namespace mxir {

Result<std::string> ReadFile(const std::string& path);

// Reads a file that someone else controls: never follows a symlink in the last component, never
// waits on a FIFO or device, refuses anything but a regular file and files over `max_bytes`.
Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes);

// Creates `path` with mode 0600 and writes `data`; fails if it exists (O_EXCL) unless `replace`.
Status WritePrivateFile(const std::string& path, std::string_view data, bool replace = false);

// Writes `data` to a temporary file beside `path` (same owner and mode as the original when it
// exists, else `mode`), fsyncs it and renames it over `path`: readers see the old or the new
// file, never a half-written one. The temporary name is random and created O_EXCL. When `path`
// is a symlink, the file it points to is replaced (the link stays a link).
Status ReplaceFileAtomically(const std::string& path, std::string_view data, mode_t mode = 0600);

// Lowercase hex SHA-256 of the file's bytes.
Result<std::string> Sha256OfFile(const std::string& path);
// The error for a failed file operation (`what`: "open", "read", ...): a wrong path, a directory
// or a file the user may not read is bad input (exit 2) with a hint what to do; the rest is I/O.
Error FileError(const std::string& what, const std::string& path, int err);
std::string Sha256Hex(std::string_view data);

bool FileExists(const std::string& path);
// Permission bits of the file (st_mode & 07777).
Result<mode_t> FileMode(const std::string& path);

// "what the OS said" for errno, e.g. "No such file or directory".
std::string ErrnoText(int err);

// The running program's path and folder (from /proc/self/exe); "" when the system does not say.
std::string ExecutablePath();
std::string ExecutableDir();

}  // namespace mxir
