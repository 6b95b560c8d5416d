// Hostile input the review only suspected, each shown real by a test: an event line with no end
// given to detect --events (suspicion 8), a crafted case's JSON columns in an export (10).
#include <sstream>
#include <streambuf>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "../common/temp_dir.h"
#include "casedb/case_db.h"
#include "casedb/case_export.h"
#include "core/event_json.h"
#include "detect/event_input.h"

namespace mxir {
namespace {

// A new case with only a title (the rest of NewCase as it defaults).
casedb::NewCase Titled(const char* title) {
  casedb::NewCase n;
  n.title = title;
  return n;
}

// `size` bytes of 'x' without a newline, then `tail`; made as it is read, never held whole.
class LongLineStream : public std::streambuf {
 public:
  LongLineStream(size_t size, std::string tail) : left_(size), tail_(std::move(tail)) {
    std::fill(std::begin(chunk_), std::end(chunk_), 'x');
  }

 protected:
  int_type underflow() override {
    if (left_ > 0) {
      size_t n = std::min(left_, sizeof chunk_);
      left_ -= n;
      setg(chunk_, chunk_, chunk_ + n);
      return traits_type::to_int_type(chunk_[0]);
    }
    if (!tail_done_) {
      tail_done_ = true;
      setg(tail_.data(), tail_.data(), tail_.data() + tail_.size());
      return tail_.empty() ? traits_type::eof() : traits_type::to_int_type(tail_[0]);
    }
    return traits_type::eof();
  }

 private:
  size_t left_;
  std::string tail_;
  bool tail_done_ = false;
  char chunk_[1 << 16];
};

long PeakRssKb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

Event SampleEvent() {
  Event e;
  e.ts = Timestamp::FromSeconds(1795000000);
  e.source = "postfix";
  e.kind = EventKind::kAuth;
  e.user = "info";
  e.outcome = "failure";
  return e;
}

// Suspicion 8: std::getline read a whole line before its length was checked, so a line with no
// end took memory without bound. Now at most max_line_bytes are kept; the line is counted and
// skipped, and the events after it are read.
TEST(HardeningInput, OverlongEventLineUsesBoundedMemory) {
  const size_t kLine = size_t{384} << 20;  // 384 MiB in one line
  std::string good = EventToJson(SampleEvent());
  LongLineStream buf(kLine, "\n" + good + "\n\n" + good);  // the last line has no newline
  std::istream in(&buf);
  detect::JsonlInput opts;
  opts.name = "long.jsonl";
  opts.max_line_bytes = 1 << 20;
  Counters counters;
  std::vector<std::string> errors;
  int events = 0;
  long before = PeakRssKb();
  Status s = detect::ReadEventsJsonl(
      in, opts, [&](const Event& e) { events += e.user == "info" ? 1 : 0; }, &counters, &errors);
  long grown_mb = (PeakRssKb() - before) / 1024;
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(events, 2);
  EXPECT_EQ(counters.Get("skipped.line_too_long"), 1);
  EXPECT_EQ(counters.Get("lines"), 4);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("long.jsonl:1: line longer than"), std::string::npos) << errors[0];
  EXPECT_LT(grown_mb, 64) << "reading one overlong line grew the peak memory by " << grown_mb
                          << " MB";
}

TEST(HardeningInput, EventLinesAtTheBufferEdgesAreWhole) {
  // Lines of lengths around the reader's 64 KiB chunk and the limit, with and without a final
  // newline: each comes back whole or is counted as too long, never split or merged.
  for (size_t pad : {size_t{0}, size_t{1}, size_t{65534}, size_t{65535}, size_t{65536},
                     size_t{131071}, size_t{200000}}) {
    for (bool final_newline : {true, false}) {
      Event e = SampleEvent();
      e.subject = std::string(pad, 'd');
      std::string line = EventToJson(e);
      std::string text = line + "\n" + line + (final_newline ? "\n" : "");
      std::istringstream in(text);
      detect::JsonlInput opts;
      opts.max_line_bytes = 150000;
      Counters counters;
      int events = 0;
      ASSERT_TRUE(detect::ReadEventsJsonl(
                      in, opts,
                      [&](const Event& got) {
                        ++events;
                        EXPECT_EQ(got.subject.size(), pad);
                      },
                      &counters, nullptr)
                      .ok());
      bool fits = line.size() <= opts.max_line_bytes;
      EXPECT_EQ(events, fits ? 2 : 0) << pad << " " << final_newline;
      EXPECT_EQ(counters.Get("skipped.line_too_long"), fits ? 0 : 2) << pad;
      EXPECT_EQ(counters.Get("lines"), 2) << pad << " " << final_newline;
    }
  }
}

// Suspicion 10: case export copied a JSON column's stored bytes into the export when they
// started with '{' or '['. A crafted case could close the finding's object and add its own
// (a fake "findings" entry, another table). Now only a value that parses is exported as
// structure (written out again), anything else as a string.
TEST(HardeningInput, CaseExportNeverCopiesStoredJsonBytes) {
  std::string path = mxir::testing::MakeTempDir("mxir-hard") + "/c.case";
  ASSERT_TRUE(casedb::CaseDb::Create(path, Titled("t")).ok());
  auto c = casedb::CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  const std::string injected =
      R"({"id":"f1"}}],"findings":[{"id":"FAKE","severity":"critical"}],"x":[{"y":{"z":1})";
  ASSERT_TRUE(c->db()
                  .Exec("INSERT INTO findings (id, kind, severity, user, first_seen, last_seen, "
                        "created, updated, json) VALUES ('f1', 'brute_force', 'high', 'info', 1, "
                        "1, 1, 1, '" +
                        injected + "')")
                  .ok());
  ASSERT_TRUE(c->db()
                  .Exec("INSERT INTO findings (id, kind, severity, user, first_seen, last_seen, "
                        "created, updated, json) VALUES ('f2', 'brute_force', 'high', 'bob', 1, "
                        "1, 1, 1, '{\"id\":\"f2\",\"n\":[1,2]}')")
                  .ok());
  std::ostringstream out;
  ASSERT_TRUE(casedb::ExportCaseJson(*c, out).ok());
  auto doc = nlohmann::json::parse(out.str(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "the export is not JSON:\n" << out.str();
  ASSERT_TRUE(doc.contains("findings")) << out.str();
  const auto& findings = doc["findings"];
  ASSERT_EQ(findings.size(), 2u) << out.str();
  EXPECT_TRUE(findings[0]["json"].is_string());
  EXPECT_EQ(findings[0]["json"].get<std::string>(), injected);
  EXPECT_TRUE(findings[1]["json"].is_object());  // a good value is still structure
  EXPECT_EQ(findings[1]["json"]["n"][1], 2);
  EXPECT_EQ(out.str().find("FAKE\",\"severity"), std::string::npos);
}

}  // namespace
}  // namespace mxir
