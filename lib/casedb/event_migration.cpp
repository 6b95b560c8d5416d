#include "casedb/event_migration.h"

#include <cstdio>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <zlib.h>

#include "casedb/event_store.h"
#include "core/event_json.h"
#include "core/hex.h"

namespace mxir::casedb {

namespace {

constexpr size_t kMaxLine = 64 * 1024;  // as LineSource cuts lines

struct MdFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Md = std::unique_ptr<EVP_MD_CTX, MdFree>;

std::string Digest(EVP_MD_CTX* ctx) {
  Md copy(EVP_MD_CTX_new());
  EVP_MD_CTX_copy_ex(copy.get(), ctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(copy.get(), md, &len);
  return HexLower(md, len);
}

uint64_t LineHash(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() > kMaxLine) line.resize(kMaxLine);
  return RecordHash(line);
}

// The RecordHash of each line of `path` as it was when its SHA-256 was `sha` (the whole file,
// or its first lines when it has grown since); empty when the file is gone or holds other bytes.
std::vector<uint64_t> LineHashesOf(const std::string& path, const std::string& sha) {
  std::vector<uint64_t> lines;
  if (path.empty() || sha.empty() || path == "-") return lines;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return lines;
  Md ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  std::string line;
  bool gzip = false, first = true, prefix_match = false;
  size_t n;
  while (!prefix_match && (n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    if (first && n >= 2 && static_cast<uint8_t>(buf[0]) == 0x1f &&
        static_cast<uint8_t>(buf[1]) == 0x8b) {
      gzip = true;
    }
    first = false;
    if (gzip) {
      EVP_DigestUpdate(ctx.get(), buf.data(), n);
      continue;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') continue;
      EVP_DigestUpdate(ctx.get(), buf.data() + start, i + 1 - start);
      line.append(buf.data() + start, i - start);
      lines.push_back(LineHash(line));
      line.clear();
      start = i + 1;
      if (Digest(ctx.get()) == sha) {
        prefix_match = true;
        break;
      }
    }
    if (!prefix_match) {
      EVP_DigestUpdate(ctx.get(), buf.data() + start, n - start);
      line.append(buf.data() + start, n - start);
    }
  }
  std::fclose(f);
  if (prefix_match) return lines;
  if (Digest(ctx.get()) != sha) return {};
  if (!gzip) {
    if (!line.empty()) lines.push_back(LineHash(line));
    return lines;
  }
  // A compressed file that still holds the same bytes: its lines, decompressed.
  lines.clear();
  gzFile z = gzopen(path.c_str(), "rb");
  if (z == nullptr) return lines;
  line.clear();
  int got;
  while ((got = gzread(z, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(got); ++i) {
      if (buf[i] != '\n') continue;
      line.append(buf.data() + start, i - start);
      lines.push_back(LineHash(line));
      line.clear();
      start = i + 1;
    }
    line.append(buf.data() + start, static_cast<size_t>(got) - start);
  }
  bool ok = got == 0;
  gzclose(z);
  if (!ok) return {};
  if (!line.empty()) lines.push_back(LineHash(line));
  return lines;
}

// One old input: its lines' hashes and the repeat counts of the lines that made events.
struct OldInput {
  std::vector<uint64_t> lines;
  RecordRepeats repeats;
  int64_t last_line = -1;
  int last_repeat = 0;
};

}  // namespace

Status MigrateEventsToCompact(Database& db) {
  std::map<std::pair<std::string, std::string>, std::unique_ptr<OldInput>> inputs;
  {
    MXIR_ASSIGN_OR_RETURN(
        Statement st, Statement::Prepare(db,
                                         "SELECT DISTINCT json_extract(json, '$.origin.file'), "
                                         "json_extract(json, '$.origin.sha256') FROM events_v3 "
                                         "WHERE json_extract(json, '$.origin.line') IS NOT NULL"));
    for (;;) {
      MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto in = std::make_unique<OldInput>();
      std::string file = st.ColumnText(0), sha = st.ColumnText(1);
      in->lines = LineHashesOf(file, sha);
      inputs.emplace(std::make_pair(file, sha), std::move(in));
    }
  }
  EventWriter writer(db, /*in_callers_transaction=*/true);
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(db, "SELECT json FROM events_v3 ORDER BY id"));
  EventReader reader;
  Event e;
  std::pair<std::string, std::string> key;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (!reader.Parse(st.ColumnBlob(0), &e).ok()) continue;  // unreadable before: dropped
    if (e.origin.line > 0) {
      key.first = e.origin.file;
      key.second = e.origin.sha256;
      auto it = inputs.find(key);
      if (it != inputs.end() && static_cast<size_t>(e.origin.line) <= it->second->lines.size()) {
        OldInput& in = *it->second;
        e.origin.record = in.lines[static_cast<size_t>(e.origin.line - 1)];
        if (e.origin.line != in.last_line) {
          in.last_line = e.origin.line;
          in.last_repeat = in.repeats.Next(e.origin.record);
        }
        e.origin.repeat = in.last_repeat;
      }
    }
    e.origin.sha256 = SharedString();
    MXIR_RETURN_IF_ERROR(writer.Add(e));
  }
  MXIR_RETURN_IF_ERROR(writer.Finish());
  return db.Exec("DROP TABLE events_v3");
}

}  // namespace mxir::casedb
