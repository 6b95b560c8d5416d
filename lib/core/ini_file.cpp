#include "core/ini_file.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_util.h"

namespace mxir {

namespace {
std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}
}  // namespace

Result<IniFile> IniFile::Parse(const std::string& text, const std::string& name) {
  IniFile ini;
  std::string section;
  ini.sections_[section];
  size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      if (nl == text.size()) break;
      continue;
    }
    auto where = name + ":" + std::to_string(line_no);
    if (line[0] == '[') {
      if (line.back() != ']' || line.size() < 3) {
        return MakeError(ErrorCode::kInvalidInput,
                         where + ": bad section header (expected [name])");
      }
      section = Trim(line.substr(1, line.size() - 2));
      ini.sections_[section];
    } else {
      auto eq = line.find('=');
      if (eq == std::string::npos || eq == 0) {
        return MakeError(ErrorCode::kInvalidInput, where + ": expected 'key = value'");
      }
      ini.sections_[section][Trim(line.substr(0, eq))] = Trim(line.substr(eq + 1));
    }
    if (nl == text.size()) break;
  }
  return ini;
}

namespace {

std::string OwnerName(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw != nullptr && pw->pw_name != nullptr
             ? std::string(pw->pw_name) + " (uid " + std::to_string(uid) + ")"
             : "uid " + std::to_string(uid);
}

// A private file is trusted like code (a hooks file names the programs mxir runs, and mxir
// reset usually runs as root): it must belong to the user running mxir or to root, and so must
// its directory, which nobody else may write to (unless sticky, like /tmp: then only the file's
// owner and the directory's can replace it). Returns the resolved path to read.
Result<std::string> CheckTrustedOwner(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    return MakeError(ErrorCode::kInvalidInput, "cannot open '" + path + "': " + ErrnoText(errno));
  }
  std::string real = resolved;
  const uid_t me = ::geteuid();
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kInvalidInput, "cannot open '" + path + "': " + ErrnoText(errno));
  }
  if (st.st_uid != me && st.st_uid != 0) {
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' belongs to " + OwnerName(st.st_uid) +
                                                   ", who could make mxir run any program as " +
                                                   OwnerName(me) +
                                                   ": it must belong to you or root (chown " +
                                                   std::to_string(me) + " '" + path + "')");
  }
  std::string dir = real.substr(0, real.rfind('/'));
  if (dir.empty()) dir = "/";
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0) {
    return MakeError(ErrorCode::kInvalidInput, "cannot open '" + dir + "': " + ErrnoText(errno));
  }
  bool sticky = (ds.st_mode & S_ISVTX) != 0;
  if (ds.st_uid != me && ds.st_uid != 0) {  // sticky or not, its owner can replace the file
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is in " + dir + ", which belongs to " + OwnerName(ds.st_uid) +
                         ", who could replace the file: keep it in a directory of yours or root's");
  }
  if ((ds.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is in " + dir +
                         ", which group or others can write to (they could replace the file): "
                         "move it, or chmod go-w '" +
                         dir + "'");
  }
  return real;
}

}  // namespace

Result<IniFile> IniFile::Load(const std::string& path, bool require_private) {
  if (require_private) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is a directory: give the file");
    }
    MXIR_ASSIGN_OR_RETURN(mode_t mode, FileMode(path));
    if (mode & 077) {
      return MakeError(ErrorCode::kInvalidInput,
                       "'" + path +
                           "' can be read by group or others, and it may point at secrets; "
                           "fix it with: chmod 600 '" +
                           path + "'");
    }
    MXIR_ASSIGN_OR_RETURN(std::string real, CheckTrustedOwner(path));
    MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(real));
    return Parse(text, path);
  }
  MXIR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(text, path);
}

const IniFile::Section* IniFile::Find(const std::string& section) const {
  auto it = sections_.find(section);
  return it == sections_.end() ? nullptr : &it->second;
}

std::optional<std::string> IniFile::Get(const std::string& section, const std::string& key) const {
  const Section* s = Find(section);
  if (!s) return std::nullopt;
  auto it = s->find(key);
  if (it == s->end()) return std::nullopt;
  return it->second;
}

std::string IniFile::GetOr(const std::string& section, const std::string& key,
                           const std::string& fallback) const {
  auto v = Get(section, key);
  return v ? *v : fallback;
}

std::vector<std::string> IniFile::SectionNames() const {
  std::vector<std::string> names;
  for (const auto& [k, v] : sections_) {
    if (!k.empty()) names.push_back(k);
  }
  return names;
}

std::string NearestWord(const std::string& word, const std::vector<std::string>& known) {
  auto norm = [](std::string s) {
    for (char& c : s) {
      c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
  };
  const std::string a = norm(word);
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& k : known) {
    const std::string b = norm(k);
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      }
      std::swap(prev, cur);
    }
    size_t d = prev[b.size()];
    // "doveadm_path" for "doveadm": a known key with a word added is as good as a typo.
    if (a.rfind(b + "_", 0) == 0 || b.rfind(a + "_", 0) == 0) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  if (best.empty() || best_d * 3 > std::max(a.size(), best.size())) return "";
  return best;
}

}  // namespace mxir
