// Storing findings in a case: re-running updates instead of duplicating; listed addresses
// become assets; the case's assets set locality.
#include "detect/case_io.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/case_db.h"
#include "casedb/event_store.h"
#include "casedb/finding_store.h"
#include "test_events.h"

namespace mxir::detect::test {
namespace {

class CaseIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("mxir-detect-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.case").string();
    casedb::NewCase info;
    info.title = "test";
    info.domains = {"acme.example"};
    info.ips = {"198.51.100.0"};
    auto c = casedb::CaseDb::Create(path_, info);
    ASSERT_TRUE(c.ok()) << c.error().message;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CaseIoTest, StoreTwiceDoesNotDuplicateAndAddsListedAssets) {
  auto c = casedb::CaseDb::Open(path_);
  ASSERT_TRUE(c.ok());
  {
    casedb::EventWriter w(*c);
    std::vector<Event> v;
    AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
    Event d = Base(5000, "postfix", "", "", EventKind::kDelivery);
    d.status = "bounced";
    d.code = 554;
    d.text = "Client host [198.51.100.7] blocked using zen.spamhaus.org";
    d.origin.file = "mail.log";
    d.origin.line = 7;
    v.push_back(d);
    for (size_t i = 0; i < v.size(); ++i) {
      v[i].origin.file = "x";
      v[i].origin.line = static_cast<int64_t>(i + 1);
      ASSERT_TRUE(w.Add(v[i]).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  for (int run = 0; run < 2; ++run) {
    Locality loc = DefaultLocality();
    ASSERT_TRUE(AddCaseLocality(*c, &loc).ok());
    EXPECT_TRUE(loc.IsLocalDomain("acme.example"));
    DetectEngine engine({}, loc);
    ASSERT_TRUE(FeedCaseEvents(*c, std::nullopt, std::nullopt, &engine).ok());
    DetectResult r = engine.Finish();
    ASSERT_EQ(r.findings.size(), 2u);
    auto s = StoreResult(*c, r);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->added, run == 0 ? 2 : 0);
    EXPECT_EQ(s->updated, run == 0 ? 0 : 2);
    EXPECT_EQ(s->assets_added, run == 0 ? 1 : 0);
  }
  auto findings = casedb::FindingStore(*c).List();
  ASSERT_TRUE(findings.ok());
  EXPECT_EQ(findings->size(), 2u);
  auto ips = casedb::AssetStore(*c).List(casedb::AssetKind::kIp);
  ASSERT_TRUE(ips.ok());
  bool listed = false;
  for (const auto& a : *ips) listed |= a.value == "198.51.100.7";
  EXPECT_TRUE(listed);
  auto actions = casedb::ActionLog(*c).List();
  ASSERT_TRUE(actions.ok());
  int detect_runs = 0;
  for (const auto& a : *actions) detect_runs += a.tool == "detect";
  EXPECT_EQ(detect_runs, 2);
}

}  // namespace
}  // namespace mxir::detect::test
