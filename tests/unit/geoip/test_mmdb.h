// MakeTestMmdb: a small MaxMind-format database built at test time by make_test_mmdb.pl
// (Debian's libmaxmind-db-writer-perl, in deps/build.txt) — never a real GeoLite file.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

namespace mxir::testing {

// Writes `path` with the given "NETWORK=VALUE" entries (see make_test_mmdb.pl); false when the
// writer failed (its message is on stderr).
inline bool MakeTestMmdb(const std::string& path, const std::string& type,
                         const std::vector<std::string>& entries) {
  std::string cmd =
      "perl '" MXIR_SOURCE_DIR "/tests/unit/geoip/make_test_mmdb.pl' '" + path + "' '" + type + "'";
  for (const auto& e : entries) cmd += " '" + e + "'";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace mxir::testing
