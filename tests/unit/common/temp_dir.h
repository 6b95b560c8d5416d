// MakeTempDir: a fresh directory under /tmp for a unit test, removed with everything in it when
// the test program ends normally. (Forked children leave through _exit and remove nothing.)
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stdlib.h>

namespace mxir::testing {

inline std::string MakeTempDir(const std::string& prefix) {
  struct Made {
    std::vector<std::string> dirs;
    ~Made() {
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Made made;
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  made.dirs.push_back(tmpl);
  return tmpl;
}

// Writes `bytes` to the file `name` in `dir` (made by MakeTempDir) and returns its path.
inline std::string WriteTempFile(const std::string& dir, const std::string& name,
                                 const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace mxir::testing
